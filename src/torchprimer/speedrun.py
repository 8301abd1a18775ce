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

import math
import time
from dataclasses import dataclass, fields, replace

import torch

from torchprimer.models import CIFAR10_MEAN, CIFAR10_STD
from torchprimer.speedrun_loop import Stopwatch, evaluate, fit, make_optimizer, schedule
from torchprimer.speedrun_net import SpeedrunNet, init_whitening

# field: (check, what it must be); checked by SpeedrunConfig.__post_init__
_CHECKS = {
    "epochs": (lambda v: v > 0, "a number > 0"),
    "batch_size": (lambda v: isinstance(v, int) and v >= 1, "a whole number >= 1"),
    "widths": (
        lambda v: len(v) == 3 and all(isinstance(w, int) and w >= 1 for w in v),
        "3 whole numbers >= 1",
    ),
    "lr": (lambda v: v > 0, "a number > 0"),
    "momentum": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "weight_decay": (lambda v: v >= 0, "a number >= 0"),
    "bias_scaler": (lambda v: v > 0, "a number > 0"),
    "label_smoothing": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "whiten_bias_epochs": (lambda v: v >= 0, "a number >= 0"),
    "whiten_images": (lambda v: isinstance(v, int) and v >= 1, "a whole number >= 1"),
    "whiten_eps": (lambda v: v > 0, "a number > 0"),
    "lookahead_every": (lambda v: isinstance(v, int) and v >= 1, "a whole number >= 1"),
    "lookahead_decay": (lambda v: 0 <= v <= 1, "a number in [0, 1]"),
    "tta_level": (lambda v: v in (0, 1, 2), "0, 1 or 2"),
    "translate": (lambda v: isinstance(v, int) and 0 <= v <= 8, "a whole number from 0 to 8"),
    "bn_momentum": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "warmup_fraction": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "lr_start": (lambda v: v >= 0, "a number >= 0"),
    "lr_end": (lambda v: v >= 0, "a number >= 0"),
    "logit_scale": (lambda v: v > 0, "a number > 0"),
    "eval_batch_size": (lambda v: isinstance(v, int) and v >= 1, "a whole number >= 1"),
}


@dataclass(frozen=True)
class SpeedrunConfig:
    """The recipe; the defaults are airbench94's. Learning rate and weight decay are in the
    paper's decoupled form: per 1024 examples, independent of momentum and of each other."""

    # ingredients that can be switched off
    whiten: bool = True  # off: the first conv is an ordinary trainable 2x2 conv
    label_smoothing: float = 0.2
    lookahead: bool = True
    tta_level: int = 2  # 0: plain, 1: + mirror, 2: + mirrored one-pixel translations
    alternating_flip: bool = True  # off: an independent random flip every epoch
    bf16_channels_last: bool = True  # bf16 on CUDA only: the CPU computes in float32
    compile: bool = False  # torch.compile the model (pay its compilation in a warm-up run)
    dirac: bool = True  # identity init of the 3x3 convolutions' first filters
    # schedule and optimiser
    epochs: float = 9.9
    batch_size: int = 1024
    widths: tuple[int, int, int] = (64, 256, 256)
    lr: float = 11.5  # per 1024 examples
    momentum: float = 0.85  # Nesterov
    weight_decay: float = 0.0153  # per 1024 examples, decoupled from the learning rate
    bias_scaler: float = 64.0  # batch-norm biases: this times the learning rate
    warmup_fraction: float = 0.23
    lr_start: float = 0.2
    lr_end: float = 0.07
    # whitening layer
    whiten_bias_epochs: float = 3
    whiten_images: int = 5000
    whiten_eps: float = 5e-4
    # lookahead: every `lookahead_every` steps, decay lookahead_decay**every * (step/total)**3
    lookahead_every: int = 5
    lookahead_decay: float = 0.95
    translate: int = 2  # pixels of random translation (reflect padding)
    bn_momentum: float = 0.4  # PyTorch's convention: the paper's 0.6 "keep"
    logit_scale: float = 1 / 9
    eval_batch_size: int = 2000

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "widths", tuple(self.widths))
        except TypeError:
            raise ValueError(f"widths={self.widths!r}: expected 3 whole numbers >= 1") from None
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{field.name}={value!r}: expected a finite number")
            if field.type == "bool":
                if not isinstance(value, bool):
                    raise ValueError(f"{field.name}={value!r}: expected True or False")
                continue
            check, expected = _CHECKS[field.name]
            try:
                ok = bool(check(value))
            except TypeError:
                ok = False
            if not ok or isinstance(value, bool):
                raise ValueError(f"{field.name}={value!r}: expected {expected}")


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


@dataclass(frozen=True)
class Precision:
    """How a run computes: autocast dtype (None: float32) and memory layout."""

    autocast: torch.dtype | None
    channels_last: bool

    @property
    def storage(self) -> torch.dtype:
        return self.autocast or torch.float32

    def layout(self, x: torch.Tensor) -> torch.Tensor:
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        return x.contiguous(memory_format=fmt)


def precision(config: SpeedrunConfig, device: torch.device | str) -> Precision:
    """With ``config.bf16_channels_last``: bfloat16 autocast on CUDA (float32 on the CPU)
    and the channels-last layout; without it, float32 and the default contiguous layout.

    >>> precision(SpeedrunConfig(), "cuda")
    Precision(autocast=torch.bfloat16, channels_last=True)
    >>> precision(SpeedrunConfig(), "cpu")
    Precision(autocast=None, channels_last=True)
    >>> precision(SpeedrunConfig(bf16_channels_last=False), "cuda")
    Precision(autocast=None, channels_last=False)
    """
    if not config.bf16_channels_last:
        return Precision(None, False)
    on_cuda = torch.device(device).type == "cuda"
    return Precision(torch.bfloat16 if on_cuda else None, True)


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
