"""Batches from tensors and batch-wise augmentation."""

from __future__ import annotations

import pytest
import torch

from torchprimer.batches import TensorBatches, crop_flip, random_crop, random_flip


def test_every_sample_once_per_pass_and_reshuffled():
    images = torch.arange(10).view(10, 1, 1, 1)
    labels = torch.arange(10)
    loader = TensorBatches(images, labels, batch_size=4, generator=torch.Generator().manual_seed(0))
    first = torch.cat([y for _, y in loader])
    second = torch.cat([y for _, y in loader])
    assert sorted(first.tolist()) == list(range(10)) == sorted(second.tolist())
    assert first.tolist() != second.tolist()
    for x, y in loader:
        assert torch.equal(x.view(-1), y)  # images stay paired with their labels


def test_drop_last_and_len():
    images, labels = torch.zeros(10, 1, 2, 2), torch.zeros(10, dtype=torch.int64)
    assert len(TensorBatches(images, labels, 4)) == 3
    loader = TensorBatches(images, labels, 4, drop_last=True)
    assert len(loader) == 2 and [len(y) for _, y in loader] == [4, 4]


def test_transform_is_applied_per_batch():
    loader = TensorBatches(
        torch.ones(3, 1, 2, 2), torch.zeros(3), 2, shuffle=False, transform=lambda x: x * 5
    )
    assert [x.max().item() for x, _ in loader] == [5.0, 5.0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="differ in length: 3 vs 2"):
        TensorBatches(torch.zeros(3), torch.zeros(2), 1)
    with pytest.raises(ValueError, match="batch_size=0"):
        TensorBatches(torch.zeros(3), torch.zeros(3), 0)


def test_random_crop_is_a_shifted_window_of_the_reflected_image():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (64, 3, 8, 8), dtype=torch.uint8)
    out = random_crop(images, padding=2, generator=g)
    assert out.shape == images.shape and out.dtype == torch.uint8
    padded = torch.nn.functional.pad(images.float(), (2, 2, 2, 2), mode="reflect").to(torch.uint8)
    for i in range(len(images)):
        windows = [padded[i, :, dy : dy + 8, dx : dx + 8] for dy in range(5) for dx in range(5)]
        assert any(torch.equal(out[i], w) for w in windows)
    # with 64 images, offsets vary
    assert sum(torch.equal(out[i], images[i]) for i in range(64)) < 16


def test_random_flip_mirrors_about_half():
    g = torch.Generator().manual_seed(0)
    images = torch.randn(400, 3, 4, 4)
    out = random_flip(images, generator=g)
    same = torch.tensor([torch.equal(o, i) for o, i in zip(out, images)])
    mirrored = torch.tensor([torch.equal(o, i.flip(2)) for o, i in zip(out, images)])
    assert bool((same | mirrored).all()) and 150 < int(mirrored.sum()) < 250


def test_crop_flip_is_seeded():
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    a = crop_flip(images, torch.Generator().manual_seed(1))
    b = crop_flip(images, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == images.shape
