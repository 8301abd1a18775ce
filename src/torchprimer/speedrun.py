"""CIFAR-10 to 94% in seconds on one GPU: the airbench94 recipe, each ingredient switchable.

The method is Keller Jordan's, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU"
(arXiv:2404.00498, 2024; its script airbench94 reports 94.01% mean accuracy in 3.83 s on
an NVIDIA A100), which builds on David Page's "How to train your ResNet" (Myrtle.ai, 2018).
Everything is written here from the published description: the network and its
whitening layer are in :mod:`torchprimer.speedrun_net`, the loop in
:mod:`torchprimer.speedrun_loop`, and a run is :func:`train`.
:mod:`torchprimer.speedrun_airbench` runs the original airbench94 script for comparison.

* The data lives on the device as uint8, normalised once per run; each epoch it is
  augmented there: random translation by up to 2 pixels (reflect padding) and the
  "alternating flip" (each image gets one random flip decision; odd epochs show every
  image mirrored relative to the even ones).
* SGD with Nesterov momentum, hyperparameters in the paper's decoupled form, a summed
  label-smoothed cross-entropy, a linear warm-up then linear decay of the learning rate,
  and a lookahead (an exponential moving average copied back every few steps).
* Test-time augmentation averages the logits of mirrored and translated views.
* Timing follows airbench: whitening, training and the final evaluation are timed
  (CUDA events on a GPU), building the model and any compilation are not.

Every ingredient is a field of :class:`SpeedrunConfig`; a bad value is one clear error:

>>> SpeedrunConfig(tta_level=3)
Traceback (most recent call last):
...
ValueError: tta_level=3: expected 0, 1 or 2

On all 50,000 training images the default recipe makes 48 steps of 1024 images per epoch,
476 in all (9.9 epochs):

>>> schedule(50_000, SpeedrunConfig())
(1024, 48, 476)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from torchprimer.models import CIFAR10_MEAN, CIFAR10_STD
from torchprimer.speedrun_config import Precision, SpeedrunConfig, precision
from torchprimer.speedrun_loop import Stopwatch, evaluate, fit, make_optimizer, schedule
from torchprimer.speedrun_net import SpeedrunNet, init_whitening


@dataclass(frozen=True)
class SpeedrunResult:
    """One run: test accuracy with and without test-time augmentation (same weights), the
    timed seconds (whitening + training + final evaluation) and the optimiser steps."""

    seed: int
    accuracy: float
    accuracy_plain: float
    seconds: float
    steps: int


@dataclass(frozen=True)
class SpeedrunData:
    """uint8 images ``(N, 3, 32, 32)`` and int64 labels, already on the training device."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor

    @classmethod
    def on(cls, device, train_images, train_labels, test_images, test_labels) -> SpeedrunData:
        """The four tensors moved to ``device`` once (the data stays there for every run)."""
        tensors = (train_images, train_labels, test_images, test_labels)
        for images in (train_images, test_images):
            if images.dtype != torch.uint8 or tuple(images.shape[1:]) != (3, 32, 32):
                raise ValueError(
                    f"images: expected uint8 (N, 3, 32, 32), got {images.dtype} {tuple(images.shape)}"
                )
        return cls(*(t.to(device) for t in tensors))


def normalize_images(images: torch.Tensor, plan: Precision) -> torch.Tensor:
    """uint8 ``(N, 3, H, W)`` to per-channel standardised values, in the run's dtype and layout."""
    mean = torch.tensor(CIFAR10_MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD, device=images.device).view(1, 3, 1, 1)
    return plan.layout(((images.float() - mean) / std).to(plan.storage))


def build_model(config: SpeedrunConfig, device: torch.device | str) -> SpeedrunNet:
    """The network on ``device`` in float32 weights, channels_last when the run uses it;
    with ``config.whiten`` the first layer's weights are frozen (set by :func:`train`)."""
    model = SpeedrunNet(config.widths, config.bn_momentum, config.logit_scale, config.dirac)
    if config.whiten:
        model.whiten.weight.requires_grad_(False)
    model = model.to(device)
    if precision(config, device).channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def train(config: SpeedrunConfig, data: SpeedrunData, seed: int = 0, device=None) -> SpeedrunResult:
    """Train once from ``seed`` on ``data`` and score the test set; see the module docstring.

    ``torch.manual_seed(seed)`` sets the initial weights, and a generator seeded from
    ``seed`` on the device draws the whitening sample, the flips, translations and order.
    Building the model is not timed; with ``config.compile`` the compilation happens in the
    first call of a process (run :func:`warm_up` first so that no timed run pays it).
    """
    device = torch.device(device) if device is not None else data.train_images.device
    plan = precision(config, device)
    torch.manual_seed(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    model = build_model(config, device)
    runner = torch.compile(model, dynamic=False) if config.compile else model
    n = len(data.train_images)
    batch_size, _, _ = schedule(n, config)
    optimizer = make_optimizer(model, config, batch_size)
    with Stopwatch(device) as stopwatch:
        images = normalize_images(data.train_images, plan)
        if config.whiten:
            pick = torch.randperm(n, device=device, generator=generator)[: config.whiten_images]
            init_whitening(model.whiten, images[pick].float(), config.whiten_eps)
        steps = fit(runner, model, optimizer, images, data.train_labels, config, generator, plan)
        test = normalize_images(data.test_images, plan)
        plain, tta = evaluate(runner, test, data.test_labels, config, plan)
    return SpeedrunResult(seed, tta, plain, stopwatch.seconds, steps)


def warm_up(config: SpeedrunConfig, data: SpeedrunData, device=None) -> float:
    """One short untimed run (at most 2 epochs) that meets every shape, mode and dtype the
    real runs meet: it pays ``torch.compile``'s compilation, cuDNN's choice of kernels and
    CUDA's start-up. Returns its wall-clock seconds."""
    frozen_at = config.whiten_bias_epochs
    if config.epochs > frozen_at:  # the real runs freeze the whitening bias: so does this one
        frozen_at = min(frozen_at, 1.0)
    short = replace(config, epochs=min(config.epochs, 2.0), whiten_bias_epochs=frozen_at)
    started = time.perf_counter()
    train(short, data, seed=2**31 - 1, device=device)
    return time.perf_counter() - started
