"""torchprimer.gan: the GAN and CycleGAN losses against their formulas."""

from __future__ import annotations

import math

import pytest
import torch

from torchprimer.gan import cycle_consistency_loss, discriminator_loss, generator_loss


def test_discriminator_loss_is_the_formula():
    torch.manual_seed(0)
    real, fake = torch.randn(8, 1), torch.randn(8, 1)
    by_hand = -torch.log(torch.sigmoid(real)).mean() - torch.log(1 - torch.sigmoid(fake)).mean()
    assert torch.allclose(discriminator_loss(real, fake), by_hand, atol=1e-6)


def test_discriminator_loss_rewards_telling_apart():
    confused = discriminator_loss(torch.zeros(4, 1), torch.zeros(4, 1))
    sure = discriminator_loss(torch.full((4, 1), 20.0), torch.full((4, 1), -20.0))
    wrong = discriminator_loss(torch.full((4, 1), -20.0), torch.full((4, 1), 20.0))
    assert confused.item() == pytest.approx(2 * math.log(2), abs=1e-6)
    assert sure.item() < 1e-6 < confused.item() < wrong.item()


def test_label_smoothing_moves_the_optimum_to_the_label():
    logits = torch.linspace(-3, 6, 901).unsqueeze(1)
    losses = torch.stack(
        [
            discriminator_loss(v.view(1, 1), torch.full((1, 1), -20.0), real_label=0.9)
            for v in logits
        ]
    )
    best = logits[losses.argmin()].item()
    assert torch.sigmoid(torch.tensor(best)).item() == pytest.approx(0.9, abs=0.01)


@pytest.mark.parametrize("label", [0.0, -0.1, 1.5])
def test_bad_real_label_is_refused(label):
    with pytest.raises(ValueError, match="real_label"):
        discriminator_loss(torch.zeros(2, 1), torch.zeros(2, 1), real_label=label)


def test_generator_loss_is_the_formula_and_pushes_fakes_up():
    fake = torch.tensor([[-2.0], [0.0], [3.0]], requires_grad=True)
    loss = generator_loss(fake)
    assert torch.allclose(loss, -torch.log(torch.sigmoid(fake)).mean())
    loss.backward()
    assert (fake.grad < 0).all()  # gradient descent raises every fake's score


def test_generator_loss_keeps_a_gradient_when_rejected():
    # the non-saturating form: a confidently rejected fake still gets a strong push
    fake = torch.tensor([[-10.0]], requires_grad=True)
    generator_loss(fake).backward()
    saturating = torch.tensor([[-10.0]], requires_grad=True)
    torch.log(1 - torch.sigmoid(saturating)).mean().backward()
    assert abs(fake.grad.item()) > 1000 * abs(saturating.grad.item())


def test_cycle_consistency_loss_is_mean_absolute_error():
    torch.manual_seed(0)
    a, b = torch.randn(3, 64), torch.randn(3, 64)
    assert cycle_consistency_loss(a, a).item() == 0.0
    assert torch.allclose(cycle_consistency_loss(a, b), (a - b).abs().mean())


def test_cycle_consistency_loss_refuses_other_shapes():
    with pytest.raises(ValueError, match=r"shapes differ, \(2, 64\) and \(2, 8, 8\)"):
        cycle_consistency_loss(torch.zeros(2, 64), torch.zeros(2, 8, 8))
