"""The example networks: shapes, sizes, what batch norm and eval mode change, and building by name."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from torchprimer.models import (
    ARCHITECTURES,
    CIFAR10_MEAN,
    BaselineCNN,
    DigitsCNN,
    ResNetSmall,
    build,
    count_parameters,
    normalize,
)


@pytest.mark.parametrize(
    "model", [BaselineCNN(), ResNetSmall(), ResNetSmall(widths=(8, 16, 16, 32))]
)
def test_cifar_models_map_images_to_ten_logits(model):
    torch.manual_seed(0)
    out = model(torch.randn(3, 3, 32, 32))
    assert out.shape == (3, 10) and out.dtype == torch.float32 and torch.isfinite(out).all()


def test_digits_model_takes_8x8_images():
    assert DigitsCNN()(torch.randn(5, 1, 8, 8)).shape == (5, 10)


def test_checkpoints_fit_the_hub_size_limit():
    # 4 bytes per float32 parameter: the published weights must stay under 10 MB
    for model in (BaselineCNN(), ResNetSmall(), ResNetSmall(widths=(64, 128, 256, 256))):
        assert count_parameters(model) * 4 < 10_000_000


def test_resnet_has_batch_norm_and_residuals_baseline_cnn_has_neither():
    kinds = lambda m: {type(x).__name__ for x in m.modules()}  # noqa: E731
    assert {"BatchNorm2d", "Residual"} <= kinds(ResNetSmall())
    assert not {"BatchNorm2d", "Residual", "Dropout"} & kinds(BaselineCNN())


def test_eval_mode_changes_resnet_output_but_not_baseline_cnn():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 32, 32)
    for model, changes in ((ResNetSmall(), True), (BaselineCNN(), False)):
        model.train()
        with torch.no_grad():
            train_out = model(x)
        model.eval()
        with torch.no_grad():
            eval_out = model(x)
        # batch norm normalises with the batch's statistics in train mode, running ones in eval
        assert (not torch.allclose(train_out, eval_out)) == changes


def test_residual_block_adds_its_input():
    from torchprimer.models import Residual

    block = Residual(4)
    for p in block.block.parameters():
        nn.init.zeros_(p)
    x = torch.randn(2, 4, 5, 5)
    # with zero weights the block outputs ReLU(0 + bn bias 0) = 0: the identity remains
    assert torch.equal(block(x), x)


def test_resnet_learns_a_batch():
    torch.manual_seed(0)
    model = ResNetSmall(widths=(8, 16, 16, 32))
    x, y = torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 4


def test_normalize_centres_channels():
    images = torch.tensor(CIFAR10_MEAN).round().to(torch.uint8).view(1, 3, 1, 1).expand(2, 3, 4, 4)
    out = normalize(images)
    assert out.dtype == torch.float32 and out.abs().max() < 0.01
    with pytest.raises(ValueError, match=r"expected shape \(N, 3, H, W\)"):
        normalize(torch.zeros(3, 32, 32, dtype=torch.uint8))


def test_build_by_name():
    model = build("ResNetSmall", widths=[8, 16, 16, 32])  # lists, as JSON gives them
    assert isinstance(model, ResNetSmall) and model.net[0][0].out_channels == 8
    assert set(ARCHITECTURES) == {"BaselineCNN", "ResNetSmall", "DigitsCNN"}
    with pytest.raises(ValueError, match="arch='VGG'"):
        build("VGG")
