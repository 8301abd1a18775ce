"""The image classifiers the CIFAR-10 examples train and ``hubconf.py`` publishes.

- :class:`BaselineCNN`: the classic small network of many first CIFAR-10 tutorials ("a
  convolutional neural network with cross-entropy loss and Adam"): conv, pool, conv,
  pool, two linear layers.
- :class:`ResNetSmall`: the improved recipe's network, a small residual network with
  batch norm in the style of the 9-layer ResNet of David Page's "How to train your
  ResNet" (2018): three stages, two of them with a residual block.
- :class:`DigitsCNN`: a tiny network for scikit-learn's 8x8 digits.

All take float images normalised per channel (see :func:`normalize`), shape
``(N, C, H, W)``, and return class scores (logits), shape ``(N, num_classes)``.

>>> import torch
>>> _ = torch.manual_seed(0)
>>> images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
>>> x = normalize(images)
>>> [tuple(m(x).shape) for m in (BaselineCNN(), ResNetSmall())]
[(2, 10), (2, 10)]
>>> count_parameters(BaselineCNN()), count_parameters(ResNetSmall())
(1070794, 1646112)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

#: Per-channel mean and standard deviation (0-255 scale): the values commonly used for
#: CIFAR-10, measured on the original training images. This site's JPEG copy has the same
#: means to within 0.1 and standard deviations under 1% smaller (examples/cifar10_train.py
#: prints both).
CIFAR10_MEAN = (125.3, 123.0, 113.9)
CIFAR10_STD = (63.0, 62.1, 66.7)


def normalize(
    images: torch.Tensor,
    mean: tuple[float, ...] = CIFAR10_MEAN,
    std: tuple[float, ...] = CIFAR10_STD,
) -> torch.Tensor:
    """uint8 images ``(N, C, H, W)`` (0-255) to float32, each channel centred and scaled."""
    if images.ndim != 4 or images.shape[1] != len(mean):
        raise ValueError(
            f"images: expected shape (N, {len(mean)}, H, W), got {tuple(images.shape)}"
        )
    m = torch.tensor(mean, device=images.device).view(1, -1, 1, 1)
    s = torch.tensor(std, device=images.device).view(1, -1, 1, 1)
    return (images.float() - m) / s


def count_parameters(model: nn.Module) -> int:
    """How many numbers the model learns."""
    return sum(p.numel() for p in model.parameters())


class BaselineCNN(nn.Module):
    """conv(3x3) - ReLU - max-pool - conv(3x3) - ReLU - max-pool - linear - ReLU - linear.

    No batch norm, no dropout, no augmentation in the recipe: trained long enough with
    Adam it overfits its training set. A commonly quoted result for this recipe is 93.75%
    train (most likely one mini-batch of 64) and 66.51% test accuracy.
    """

    def __init__(
        self,
        num_classes: int = 10,
        channels: tuple[int, int] = (32, 64),
        hidden: int = 256,
        in_channels: int = 3,
        image_size: int = 32,
    ) -> None:
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c2 * side * side, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    """3x3 convolution (no bias: batch norm's shift replaces it), batch norm, ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class Residual(nn.Module):
    """``x + block(x)``: the block learns a correction to its input, so gradients also
    flow through the identity path and deeper networks stay trainable."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class ResNetSmall(nn.Module):
    """A 9-layer residual network with batch norm.

    ``widths`` are the channels of the stem and the three stages; each stage halves the
    image side with max-pooling (32 -> 16 -> 8 -> 4), stages 1 and 3 add a residual
    block, and a global max-pool feeds one linear layer. The logits are scaled by
    ``1/8``, which keeps early training stable with a high learning rate (Page, 2018).
    """

    def __init__(
        self,
        num_classes: int = 10,
        widths: tuple[int, int, int, int] = (32, 64, 128, 256),
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        w0, w1, w2, w3 = widths
        self.net = nn.Sequential(
            conv_bn(in_channels, w0),
            conv_bn(w0, w1),
            nn.MaxPool2d(2),
            Residual(w1),
            conv_bn(w1, w2),
            nn.MaxPool2d(2),
            conv_bn(w2, w3),
            nn.MaxPool2d(2),
            Residual(w3),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
            nn.Linear(w3, num_classes, bias=False),
        )
        self.scale = 0.125

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) * self.scale


class DigitsCNN(nn.Module):
    """Two small convolutions for 1x8x8 digit images (scikit-learn's ``load_digits``)."""

    def __init__(self, num_classes: int = 10, channels: int = 16) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(2 * channels * 16, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


#: Architectures by name, so a checkpoint's JSON can say which class (and arguments) to build.
ARCHITECTURES: dict[str, type[nn.Module]] = {
    "BaselineCNN": BaselineCNN,
    "ResNetSmall": ResNetSmall,
    "DigitsCNN": DigitsCNN,
}


def build(arch: str, **kwargs: Any) -> nn.Module:
    """A fresh, randomly initialised model of architecture ``arch`` (a key of ARCHITECTURES)."""
    if arch not in ARCHITECTURES:
        raise ValueError(
            f"arch={arch!r}: unknown architecture; expected one of {sorted(ARCHITECTURES)}"
        )
    # JSON has lists where the constructors take tuples
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    return ARCHITECTURES[arch](**kwargs)
