"""Batches straight from tensors on the training device, with augmentation done per batch.

A CIFAR-10 training set is 150 MB of uint8: it fits on any GPU. Keeping it there and
cutting shuffled batches out of it with one indexing operation removes the usual
bottleneck of a ``DataLoader`` whose workers decode and transform one image at a time
in Python (a few thousand images per second, while a GPU trains a small ResNet on tens of
thousands). The augmentations below work on a whole batch at once, on whichever device
it is on.

>>> import torch
>>> images = torch.arange(4 * 3 * 2 * 2, dtype=torch.uint8).view(4, 3, 2, 2)
>>> labels = torch.tensor([0, 1, 2, 3])
>>> loader = TensorBatches(images, labels, batch_size=3, shuffle=False)
>>> len(loader), [tuple(x.shape) for x, _ in loader], [y.tolist() for _, y in loader]
(2, [(3, 3, 2, 2), (1, 3, 2, 2)], [[0, 1, 2], [3]])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch


def random_crop(
    images: torch.Tensor, padding: int = 4, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Pad each image by ``padding`` pixels (reflecting the border) and cut a random window of the original size.

    Every image in the batch gets its own offset; the result is a new tensor.
    """
    if padding == 0:
        return images
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(
        images.float() if not images.is_floating_point() else images, (padding,) * 4, mode="reflect"
    ).to(images.dtype)
    dy = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device="cpu").to(
        images.device
    )
    dx = torch.randint(0, 2 * padding + 1, (n,), generator=generator, device="cpu").to(
        images.device
    )
    rows = (dy[:, None] + torch.arange(h, device=images.device))[:, :, None]  # (n, h, 1)
    cols = (dx[:, None] + torch.arange(w, device=images.device))[:, None, :]  # (n, 1, w)
    batch = torch.arange(n, device=images.device)[:, None, None]
    # advanced indexing picks (n, h, w, C); move channels back to dimension 1
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


def random_flip(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2."""
    flip = (torch.rand(images.shape[0], generator=generator, device="cpu") < 0.5).to(images.device)
    return torch.where(flip[:, None, None, None], images.flip(3), images)


def crop_flip(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """The standard CIFAR-10 augmentation: random 32x32 crop of the 4-pixel-padded image, random flip."""
    return random_flip(random_crop(images, 4, generator), generator)


class TensorBatches:
    """An iterable of ``(inputs, labels)`` batches cut from two tensors, reshuffled each pass.

    ``transform`` runs on each batch of images (e.g. augmentation then normalisation);
    tensors stay on their device, so on a GPU nothing crosses the PCIe bus per batch.
    ``drop_last`` drops a final short batch (useful with batch norm and fixed shapes).
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        *,
        shuffle: bool = True,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        if len(images) != len(labels):
            raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size}: expected at least 1")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.transform = batch_size, shuffle, transform
        self.drop_last, self.generator = drop_last, generator

    def __len__(self) -> int:
        n = len(self.images) / self.batch_size
        return math.floor(n) if self.drop_last else math.ceil(n)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.images)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        order = order.to(self.images.device)
        for b in range(len(self)):
            index = order[b * self.batch_size : (b + 1) * self.batch_size]
            x = self.images[index]
            yield (self.transform(x) if self.transform is not None else x), self.labels[index]
