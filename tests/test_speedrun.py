"""The CIFAR-10 speed-run recipe (torchprimer.speedrun*): each ingredient does what the paper
says, a run is deterministic per seed and learns, and the airbench94 adapter keeps its contract
(checked with a stub script that mimics airbench94's interface)."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from torchprimer.cifar import CLASSES
from torchprimer.speedrun import (
    SpeedrunConfig,
    SpeedrunData,
    build_model,
    make_optimizer,
    normalize_images,
    precision,
    train,
)
from torchprimer.speedrun_airbench import AirbenchError, run_airbench
from torchprimer.speedrun_loop import Augmenter, Lookahead, fit, lr_factor, schedule, tta_logits
from torchprimer.speedrun_net import (
    FrozenScaleBatchNorm,
    SpeedrunNet,
    conv3x3,
    image_patches,
    init_whitening,
    patch_whitening_weights,
)

TINY = SpeedrunConfig(widths=(8, 16, 16), batch_size=100, epochs=8, whiten_images=100)


def synthetic(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images whose class is their colour (plus pixel noise): learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    colours = torch.tensor(
        [[(c * 37) % 256, (c * 91 + 60) % 256, (c * 151 + 120) % 256] for c in range(10)]
    ).float()
    noise = torch.randint(-20, 21, (n, 3, 32, 32), generator=g)
    return (colours[labels].view(n, 3, 1, 1) * 0.7 + noise).clamp(0, 255).to(torch.uint8), labels


@pytest.fixture(scope="module")
def data() -> SpeedrunData:
    return SpeedrunData.on("cpu", *synthetic(400, 0), *synthetic(100, 1))


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"epochs": 0}, "epochs=0: expected a number > 0"),
        ({"epochs": math.nan}, "epochs=nan: expected a finite number"),
        ({"tta_level": 3}, "tta_level=3: expected 0, 1 or 2"),
        ({"widths": (64, 256)}, "widths=(64, 256): expected 3 whole numbers >= 1"),
        ({"widths": 64}, "widths=64: expected 3 whole numbers >= 1"),
        ({"momentum": 1.0}, "momentum=1.0: expected a number in (0, 1)"),
        ({"label_smoothing": -0.1}, "label_smoothing=-0.1: expected a number in [0, 1)"),
        ({"whiten": "yes"}, "whiten='yes': expected True or False"),
        ({"batch_size": 2.5}, "batch_size=2.5: expected a whole number >= 1"),
        ({"translate": True}, "translate=True: expected a whole number from 0 to 8"),
    ],
)
def test_a_bad_config_value_is_one_clear_line(change, message):
    with pytest.raises(ValueError) as info:
        SpeedrunConfig(**change)
    assert str(info.value) == message


def test_config_is_frozen_and_widths_become_a_tuple():
    config = SpeedrunConfig(widths=[8, 16, 16])
    assert config.widths == (8, 16, 16)
    with pytest.raises(AttributeError):
        config.epochs = 1  # type: ignore[misc]


def test_schedule_handles_a_set_smaller_than_a_batch():
    assert schedule(50_000, SpeedrunConfig()) == (1024, 48, math.ceil(48 * 9.9))
    assert schedule(40, SpeedrunConfig(epochs=0.5)) == (40, 1, 1)


def test_precision_on_the_cpu_is_float32():
    assert precision(SpeedrunConfig(), "cpu").autocast is None
    plain = precision(SpeedrunConfig(bf16_channels_last=False), "cuda")
    assert plain.autocast is None and not plain.channels_last


# --- the network and its whitening layer ------------------------------------------------------


def test_patches_are_in_the_order_of_a_convolution_filter():
    x = torch.randn(2, 3, 6, 6)
    w = torch.randn(5, 3, 2, 2)
    by_conv = F.conv2d(x, w).permute(0, 2, 3, 1).reshape(-1, 5)
    assert torch.allclose(image_patches(x) @ w.reshape(5, -1).T, by_conv, atol=1e-5)


def correlated_images(n: int, seed: int) -> torch.Tensor:
    """Images whose 2x2 patches are strongly correlated (smooth, with colour mixing)."""
    g = torch.Generator().manual_seed(seed)
    x = F.avg_pool2d(torch.randn(n, 3, 34, 34, generator=g), 3, stride=1)
    mix = torch.tensor([[1.0, 0.8, 0.6], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    return torch.einsum("dc,nchw->ndhw", mix, x) * 3 + 0.5


def test_whitening_layer_outputs_are_white():
    images = correlated_images(64, 0)
    conv = torch.nn.Conv2d(3, 24, 2, bias=True)
    init_whitening(conv, images)
    assert not conv.weight.requires_grad and torch.equal(conv.bias, torch.zeros(24))
    assert torch.equal(conv.weight[12:], -conv.weight[:12])  # each filter and its negative

    def second_moment(x):
        out = F.conv2d(x, conv.weight[:12]).permute(0, 2, 3, 1).reshape(-1, 12)
        return out.T @ out / len(out)

    patches = image_patches(images)
    before = patches.T @ patches / len(patches)
    assert (before - torch.diag(before.diagonal())).abs().max() > 0.5  # correlated inputs
    # exactly white up to eps: output i has variance lambda_i / (lambda_i + eps), no correlation
    eigenvalues = torch.linalg.eigvalsh(before.double()).flip(0).float()
    moment = second_moment(images)
    assert torch.allclose(moment, torch.diag(eigenvalues / (eigenvalues + 5e-4)), atol=1e-4)
    assert torch.allclose(moment, torch.eye(12), atol=0.02)
    # on other images from the same distribution: close to white, not exactly
    assert torch.allclose(second_moment(correlated_images(64, 1)), torch.eye(12), atol=0.15)


def test_whitening_filters_are_sorted_by_variance():
    weights = patch_whitening_weights(correlated_images(16, 0))
    norms = weights[:12].flatten(1).norm(dim=1)  # 1 / sqrt(eigenvalue + eps)
    assert weights.shape == (24, 3, 2, 2) and torch.all(norms[1:] >= norms[:-1])


def test_dirac_init_passes_the_input_through():
    conv = conv3x3(4, 6)
    x = torch.randn(2, 4, 5, 5)
    assert torch.allclose(conv(x)[:, :4], x)
    assert not torch.allclose(conv3x3(4, 6, dirac=False)(x)[:, :4], x)


def test_network_shape_batch_norm_and_frozen_whitening():
    model = build_model(SpeedrunConfig(widths=(8, 16, 16)), "cpu")
    assert model(torch.randn(3, 3, 32, 32)).shape == (3, 10)
    norms = [m for m in model.modules() if isinstance(m, FrozenScaleBatchNorm)]
    assert len(norms) == 6
    assert all(m.eps == 1e-12 and m.momentum == 0.4 for m in norms)
    assert all(not m.weight.requires_grad and m.bias.requires_grad for m in norms)
    assert not model.whiten.weight.requires_grad
    assert build_model(SpeedrunConfig(whiten=False), "cpu").whiten.weight.requires_grad
    assert sum(p.numel() for p in SpeedrunNet().parameters()) == 1_972_792


# --- optimiser, schedule, lookahead ------------------------------------------------------------


def test_decoupled_hyperparameters():
    model = build_model(SpeedrunConfig(), "cpu")
    bn_group, other_group = make_optimizer(model, SpeedrunConfig(), 1024).param_groups
    kilostep = 1024 * (1 + 1 / (1 - 0.85))
    assert other_group["lr"] == pytest.approx(11.5 / kilostep)
    assert bn_group["lr"] == pytest.approx(64 * 11.5 / kilostep)
    for group in (bn_group, other_group):  # the decay per step is the same for every weight
        assert group["lr"] * group["weight_decay"] == pytest.approx(0.0153 * 1024 / kilostep)
    bn_biases = {id(m.bias) for m in model.modules() if isinstance(m, FrozenScaleBatchNorm)}
    assert {id(p) for p in bn_group["params"]} == bn_biases
    others = {id(p) for p in other_group["params"]}
    assert id(model.whiten.bias) in others and id(model.whiten.weight) not in others
    assert id(model.head.weight) in others


def test_lr_schedule_warms_up_then_decays():
    config, total = SpeedrunConfig(), 476
    factors = [lr_factor(step, total, config) for step in range(total)]
    peak = int(total * 0.23)
    assert factors[0] == pytest.approx(0.2) and factors[peak] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(factors[:peak], factors[1 : peak + 1]))
    assert all(a > b for a, b in zip(factors[peak:], factors[peak + 1 :]))
    assert factors[-1] == pytest.approx(0.07, abs=0.01)


def test_lookahead_blends_and_writes_back():
    model = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    lookahead = Lookahead(model)
    with torch.no_grad():
        model.weight.fill_(3.0)
    lookahead.update(0.75)  # keeps 3/4 of the old copy
    assert torch.allclose(model.weight, torch.full((1, 2), 1.5))
    with torch.no_grad():
        model.weight.fill_(9.0)
    lookahead.update(1.0)  # the model takes the copy as it is
    assert torch.allclose(model.weight, torch.full((1, 2), 1.5))


# --- augmentation and test-time augmentation ------------------------------------------------


def test_translation_is_a_crop_of_the_reflect_padded_image():
    images = torch.randn(6, 3, 8, 8)
    aug = Augmenter(images, translate=2, alternating_flip=True, generator=torch.Generator())
    order, shifts, flips = aug.epoch(0)
    assert sorted(order.tolist()) == list(range(6))
    out = aug.batch(torch.arange(6), shifts, flips)
    padded = F.pad(images, (2, 2, 2, 2), mode="reflect")
    for i in range(6):
        dy, dx = shifts[i].tolist()
        crop = padded[i, :, dy : dy + 8, dx : dx + 8]
        assert torch.equal(out[i], crop.flip(-1) if flips[i] else crop)
    assert shifts.min() >= 0 and shifts.max() <= 4


def test_alternating_flip_mirrors_every_image_on_odd_epochs_only():
    images = torch.randn(64, 3, 4, 4)
    g = torch.Generator().manual_seed(0)
    alternating = Augmenter(images, 0, True, g)
    decisions = [alternating.epoch(e)[2] for e in range(4)]
    assert torch.equal(decisions[1], ~decisions[0]) and torch.equal(decisions[2], decisions[0])
    assert 0 < decisions[0].sum() < 64
    independent = Augmenter(images, 0, False, g)
    first, second = (independent.epoch(e)[2] for e in range(2))
    assert not torch.equal(second, ~first) and not torch.equal(second, first)


def test_tta_levels_average_the_views():
    runner = lambda x: x.flatten(1)  # "logits": the pixels themselves
    plan = precision(SpeedrunConfig(bf16_channels_last=False), "cpu")
    x = torch.randn(2, 3, 6, 6)
    plain, level0 = tta_logits(runner, x, 0, plan)
    assert torch.equal(plain, runner(x)) and torch.equal(level0, plain)
    mirror = 0.5 * (runner(x) + runner(x.flip(-1)))
    assert torch.allclose(tta_logits(runner, x, 1, plan)[1], mirror)
    padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
    up_left, down_right = padded[..., :6, :6], padded[..., 2:, 2:]
    pair = lambda v: 0.5 * (runner(v) + runner(v.flip(-1)))
    expected = 0.5 * mirror + 0.25 * (pair(up_left) + pair(down_right))
    assert torch.allclose(tta_logits(runner, x, 2, plan)[1], expected, atol=1e-6)


# --- whole runs ------------------------------------------------------------------------------


@pytest.mark.parametrize("whiten", [True, False])
def test_fit_trains_what_it_should(data, whiten):
    config = replace(TINY, whiten=whiten, epochs=2, whiten_bias_epochs=0, lookahead=False)
    plan = precision(config, "cpu")
    torch.manual_seed(0)
    model = build_model(config, "cpu")
    images = normalize_images(data.train_images, plan)
    if whiten:
        init_whitening(model.whiten, images[:100].float())
    first = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = make_optimizer(model, config, 100)
    steps = fit(model, model, optimizer, images, data.train_labels, config, torch.Generator(), plan)
    after = model.state_dict()
    assert steps == 8
    assert not torch.equal(after["head.weight"], first["head.weight"])
    changed = not torch.equal(after["whiten.weight"], first["whiten.weight"])
    assert changed == (not whiten)  # whitening weights stay frozen
    if whiten:  # whiten_bias_epochs=0: its bias never trains
        assert torch.equal(after["whiten.bias"], torch.zeros(24))


def test_a_run_is_deterministic_per_seed_and_learns(data):
    first, again = train(TINY, data, seed=3), train(TINY, data, seed=3)
    assert (first.accuracy, first.accuracy_plain, first.steps) == (
        again.accuracy,
        again.accuracy_plain,
        again.steps,
    )
    assert first.steps == 32 and first.seconds > 0
    assert first.accuracy > 0.4 and first.accuracy_plain > 0.4  # chance is 0.1


def test_data_must_be_uint8_images():
    with pytest.raises(ValueError, match=r"expected uint8 \(N, 3, 32, 32\)"):
        SpeedrunData.on("cpu", torch.zeros(4, 3, 32, 32), torch.zeros(4), *synthetic(10, 0))


# --- the airbench94 adapter, checked with a stub that has airbench94's interface ---------

STUB = """
import os
import sys

import torch

CALLS = {calls!r}
hyp = {{"opt": {{"train_epochs": 9.9}}}}


def print_training_details(variables, is_final_entry):
    print("a row of the stub's table")


def main(run):
    train = torch.load(os.path.join("cifar10", "train.pt"))
    test = torch.load(os.path.join("cifar10", "test.pt"))
    images = train["images"]
    ok = images.shape[1:] == (32, 32, 3) and torch.equal(images[:, 0, 0, 0], train["labels"] * 20)
    shuffled = not bool((train["labels"].diff() >= 0).all())
    named = train["classes"] == {classes!r}
    with open(CALLS, "a") as f:
        f.write(f"{{run}} {{ok}} {{named}} {{shuffled}} {{os.getcwd()}}\\n")
    noise = torch.rand(()).item()
    total_time_seconds = 2.0 + noise
    print_training_details(locals(), is_final_entry=False)
    tta_val_acc = float(test["images"][..., 0].float().mean()) / 255
    print_training_details(locals(), is_final_entry=True)
    return tta_val_acc


if __name__ == "__main__":
    sys.exit("the adapter must not run the script's __main__ block")
"""


def encoded(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose red value at (0, 0) is 20 x their label, sorted by class like our folders."""
    labels = torch.arange(n) * 10 // n
    images = torch.zeros(n, 3, 32, 32, dtype=torch.uint8)
    images[:, 0] = (labels * 20).to(torch.uint8).view(n, 1, 1)
    images[:, 1] = 255
    return images, labels


def test_airbench_adapter_keeps_the_scripts_contract(tmp_path, capsys):
    calls = tmp_path / "calls.txt"
    script = tmp_path / "airbench94.py"
    script.write_text(STUB.format(calls=str(calls), classes=list(CLASSES)))
    cwd = os.getcwd()
    test_images, test_labels = encoded(20)
    result = run_airbench(script, encoded(30), (test_images, test_labels), runs=2, seed=7)

    assert os.getcwd() == cwd
    assert capsys.readouterr().out == ""  # the script's printing is suppressed
    lines = [line.split(" ", 4) for line in calls.read_text().splitlines()]
    assert [line[0] for line in lines] == ["warmup", "0", "1"]  # one warm-up, then the runs
    # NHWC with each label kept with its image, the class names, the training set shuffled
    assert all(line[1:4] == ["True", "True", "True"] for line in lines)
    assert all(line[4] != cwd and not os.path.exists(line[4]) for line in lines)  # a temp folder
    expected = []
    for seed in (7, 8):
        torch.manual_seed(seed)
        expected.append(2.0 + torch.rand(()).item())
    assert result.seconds == pytest.approx(expected)  # total_time_seconds of each final entry
    red = float(test_images[:, 0].float().mean()) / 255
    assert result.accuracies == pytest.approx([red, red])
    assert result.seeds == [7, 8]
    assert result.sha256 == hashlib.sha256(script.read_bytes()).hexdigest()


def test_airbench_adapter_refuses_a_script_that_is_not_airbench(tmp_path):
    script = tmp_path / "other.py"
    script.write_text("x = 1\n")
    with pytest.raises(AirbenchError, match="has no main"):
        run_airbench(script, encoded(10), encoded(10), runs=1)
    with pytest.raises(FileNotFoundError, match="airbench94 script not found"):
        run_airbench(tmp_path / "missing.py", encoded(10), encoded(10), runs=1)
