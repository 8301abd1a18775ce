"""The network of the CIFAR-10 speed-run (:mod:`torchprimer.speedrun`), and its whitening layer.

The design follows Keller Jordan, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU"
(arXiv:2404.00498, 2024), which builds on David Page, "How to train your ResNet" (2018):

* a 2x2 convolution with 24 filters and no padding, initialised by **patch whitening**
  (:func:`patch_whitening_weights`) and frozen, followed by GELU;
* three groups of conv3x3 -> maxpool2 -> batch norm -> GELU -> conv3x3 -> batch norm -> GELU;
* MaxPool2d(3), a bias-free linear layer to the ten classes, and a fixed scale of 1/9.

Batch norm keeps its scale frozen at 1 (only the bias trains), and every 3x3 convolution
starts as an identity on its first ``in_channels`` filters (``torch.nn.init.dirac_``).

>>> import torch
>>> net = SpeedrunNet(widths=(8, 16, 16))
>>> net(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 10])
>>> [m.weight.requires_grad for m in net.modules() if isinstance(m, FrozenScaleBatchNorm)][:2]
[False, False]
"""

from __future__ import annotations

import torch
from torch import nn

#: Filters of the whitening layer: the 2x2x3 = 12 eigen-directions and their negatives.
WHITEN_WIDTH = 2 * 3 * 2 * 2


class FrozenScaleBatchNorm(nn.BatchNorm2d):
    """Batch norm whose scale stays 1 (not trained) and whose bias trains.

    ``momentum`` is PyTorch's convention (the weight of the *new* batch statistics): 0.4
    here is the paper's 0.6 "keep" rate. ``eps`` is tiny (1e-12): the statistics of a batch
    of 1024 images are never close to zero variance.
    """

    def __init__(self, channels: int, momentum: float = 0.4, eps: float = 1e-12) -> None:
        super().__init__(channels, eps=eps, momentum=momentum)
        self.weight.requires_grad_(False)


def conv3x3(in_channels: int, out_channels: int, dirac: bool = True) -> nn.Conv2d:
    """A bias-free 3x3 convolution (padding "same"); with ``dirac``, its first
    ``in_channels`` filters start as the identity, the rest keep PyTorch's default init."""
    conv = nn.Conv2d(in_channels, out_channels, 3, padding="same", bias=False)
    if dirac:
        with torch.no_grad():
            nn.init.dirac_(conv.weight[:in_channels])
    return conv


class ConvGroup(nn.Sequential):
    """conv3x3 -> maxpool2 -> batch norm -> GELU -> conv3x3 -> batch norm -> GELU."""

    def __init__(
        self, in_channels: int, out_channels: int, bn_momentum: float = 0.4, dirac: bool = True
    ) -> None:
        super().__init__(
            conv3x3(in_channels, out_channels, dirac),
            nn.MaxPool2d(2),
            FrozenScaleBatchNorm(out_channels, bn_momentum),
            nn.GELU(),
            conv3x3(out_channels, out_channels, dirac),
            FrozenScaleBatchNorm(out_channels, bn_momentum),
            nn.GELU(),
        )


class SpeedrunNet(nn.Module):
    """The speed-run network for 32x32 RGB images (about 1.97 million weights at the
    default widths 64, 256, 256). ``whiten`` is the first layer: call
    :func:`init_whitening` on it before training to make it the patch-whitening layer."""

    def __init__(
        self,
        widths: tuple[int, int, int] = (64, 256, 256),
        bn_momentum: float = 0.4,
        logit_scale: float = 1 / 9,
        dirac: bool = True,
        classes: int = 10,
    ) -> None:
        super().__init__()
        self.whiten = nn.Conv2d(3, WHITEN_WIDTH, kernel_size=2, padding=0, bias=True)
        channels = (WHITEN_WIDTH, *widths)
        self.groups = nn.Sequential(
            *(
                ConvGroup(channels[i], channels[i + 1], bn_momentum, dirac)
                for i in range(len(widths))
            )
        )
        self.pool = nn.MaxPool2d(3)
        self.head = nn.Linear(widths[-1], classes, bias=False)
        self.logit_scale = logit_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.gelu(self.whiten(x))
        x = self.pool(self.groups(x)).flatten(1)
        return self.head(x) * self.logit_scale


def image_patches(images: torch.Tensor, size: int = 2) -> torch.Tensor:
    """Every ``size`` x ``size`` patch of float images ``(N, C, H, W)`` as rows of a matrix
    ``(N * (H - size + 1) * (W - size + 1), C * size * size)``, each row in the order of a
    convolution filter's weights (channel, row, column).

    >>> image_patches(torch.arange(9.0).view(1, 1, 3, 3)).tolist()[0]
    [0.0, 1.0, 3.0, 4.0]
    """
    n, c = images.shape[:2]
    patches = images.unfold(2, size, 1).unfold(3, size, 1)  # (N, C, H', W', size, size)
    return patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, c * size * size)


def patch_whitening_weights(images: torch.Tensor, eps: float = 5e-4) -> torch.Tensor:
    """Filters ``(24, 3, 2, 2)`` that whiten the 2x2 patches of normalised ``images``.

    The 12 x 12 covariance (second moment) of the patches is ``V diag(lambda) V^T``; filter
    ``i`` is eigenvector ``V[:, i] / sqrt(lambda_i + eps)``, so the 12 outputs have unit
    variance and no correlation (for eigenvalues well above ``eps``). The 12 filters come
    largest eigenvalue first, then their negatives: after GELU both signs survive.
    """
    patches = image_patches(images.float())
    covariance = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance.double())
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.flip(1)
    filters = eigenvectors.T / (eigenvalues.clamp_min(0) + eps).sqrt()[:, None]
    filters = filters.float().view(-1, images.shape[1], 2, 2)
    return torch.cat([filters, -filters])


@torch.no_grad()
def init_whitening(conv: nn.Conv2d, images: torch.Tensor, eps: float = 5e-4) -> None:
    """Make ``conv`` (a 2x2 convolution with 24 filters) the patch-whitening layer of
    ``images``: whitening weights (frozen, ``requires_grad=False``) and a zero bias."""
    conv.weight.copy_(patch_whitening_weights(images, eps).to(conv.weight))
    conv.weight.requires_grad_(False)
    if conv.bias is not None:
        conv.bias.zero_()
