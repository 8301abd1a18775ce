"""The speed-run's recipe (:class:`SpeedrunConfig`) and how a run computes (:class:`Precision`).

Kept apart from :mod:`torchprimer.speedrun` so that the training loop
(:mod:`torchprimer.speedrun_loop`) and the run itself both read them without importing
each other.

>>> SpeedrunConfig(widths=(8, 16, 16)).widths
(8, 16, 16)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch

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
