"""Neural style transfer's pieces: Gram matrices, content and style losses, image tensors.

Gatys, Ecker and Bethge ("Image Style Transfer Using Convolutional Neural Networks",
CVPR 2016) describe an image by the feature maps of a convolutional network: the maps
themselves keep *where* things are (content), while the Gram matrix of a layer, the
correlations between its channels averaged over all positions, keeps *which* features
occur together but not where (style, or texture). Style transfer optimises the pixels of
an image so that its maps match a content image's and its Gram matrices match a style
image's.

>>> import torch
>>> from torchprimer.style import gram_matrix
>>> f = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]]])  # [1, 2, 2, 2]
>>> gram_matrix(f).tolist()
[[[7.5, 1.25], [1.25, 0.5]]]
>>> torch.equal(gram_matrix(f), gram_matrix(f.flip(-1)))  # positions do not matter
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "content_loss",
    "gram_matrix",
    "image_to_tensor",
    "style_loss",
    "tensor_to_image",
    "total_variation",
]


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Channel-by-channel correlations of ``[B, C, H, W]`` feature maps: ``[B, C, C]``.

    Entry ``(i, j)`` is the mean over the ``H * W`` positions of channel ``i`` times
    channel ``j``. Dividing by the number of positions (not summing) makes matrices of
    differently sized images comparable.
    """
    if features.dim() != 4:
        raise ValueError(f"features must be [B, C, H, W], got shape {tuple(features.shape)}")
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between feature maps: small when the layout matches."""
    if features.shape != target.shape:
        raise ValueError(
            f"shapes differ: features {tuple(features.shape)}, target {tuple(target.shape)}"
        )
    return F.mse_loss(features, target)


def style_loss(
    features: Sequence[torch.Tensor], target_grams: Sequence[torch.Tensor]
) -> torch.Tensor:
    """Sum over layers of the mean squared difference of Gram matrices.

    ``features`` are the image's maps at several layers, ``target_grams`` the style
    image's Gram matrices at the same layers (compute them once, outside the loop).
    """
    if len(features) != len(target_grams) or not features:
        raise ValueError(
            f"need one target Gram matrix per layer, got {len(features)} layers "
            f"and {len(target_grams)} targets"
        )
    return sum(F.mse_loss(gram_matrix(f), g) for f, g in zip(features, target_grams))


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels of ``[B, C, H, W]`` images.

    A small weight on it discourages the high-frequency speckle that pixel optimisation
    otherwise produces.
    """
    if image.dim() != 4:
        raise ValueError(f"image must be [B, C, H, W], got shape {tuple(image.shape)}")
    dh = (image[..., 1:, :] - image[..., :-1, :]).abs().mean()
    dw = (image[..., :, 1:] - image[..., :, :-1]).abs().mean()
    return dh + dw


def image_to_tensor(image: np.ndarray, size: int | tuple[int, int] | None = None) -> torch.Tensor:
    """An ``[H, W, 3]`` ``uint8`` RGB array as a ``[1, 3, H, W]`` float tensor in ``[0, 1]``.

    ``size`` resizes it (an int is the shorter side, a pair is ``(H, W)``), with
    antialiasing so that downscaling does not alias fine texture.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"image must be an [H, W, 3] uint8 array, got {image.dtype} of shape {image.shape}"
        )
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).unsqueeze(0).float() / 255
    if size is None:
        return x
    if isinstance(size, int):
        h, w = x.shape[-2:]
        scale = size / min(h, w)
        size = (round(h * scale), round(w * scale))
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False).clamp(
        0, 1
    )


def tensor_to_image(x: torch.Tensor) -> np.ndarray:
    """A ``[1, 3, H, W]`` (or ``[3, H, W]``) tensor in ``[0, 1]`` as an ``[H, W, 3]`` uint8 array."""
    if x.dim() == 4:
        if x.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {x.shape[0]}")
        x = x[0]
    if x.dim() != 3 or x.shape[0] != 3:
        raise ValueError(f"expected [3, H, W], got shape {tuple(x.shape)}")
    return (x.detach().clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
