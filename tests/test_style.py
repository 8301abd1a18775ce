"""Gram matrices and the style-transfer losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchprimer.style import (
    content_loss,
    gram_matrix,
    image_to_tensor,
    style_loss,
    tensor_to_image,
    total_variation,
)


def test_gram_matrix_matches_its_definition():
    torch.manual_seed(0)
    f = torch.randn(2, 4, 5, 6)
    g = gram_matrix(f)
    assert g.shape == (2, 4, 4)
    i, j = 1, 3
    expected = (f[0, i] * f[0, j]).mean()
    assert torch.allclose(g[0, i, j], expected, atol=1e-6)
    assert torch.allclose(g, g.transpose(1, 2))  # symmetric


def test_gram_matrix_ignores_where_features_are():
    torch.manual_seed(0)
    f = torch.randn(1, 3, 8, 8)
    shuffled = f.reshape(1, 3, 64)[:, :, torch.randperm(64)].reshape(1, 3, 8, 8)
    assert torch.allclose(gram_matrix(f), gram_matrix(shuffled), atol=1e-5)
    assert content_loss(f, shuffled) > 0.1  # but the content loss sees the shuffle


def test_gram_matrix_does_not_grow_with_image_size():
    f = torch.ones(1, 2, 4, 4)
    assert torch.equal(gram_matrix(f), gram_matrix(torch.ones(1, 2, 16, 16)))


def test_style_loss_is_zero_for_the_style_itself_and_has_gradients():
    torch.manual_seed(0)
    feats = [torch.randn(1, 3, 8, 8), torch.randn(1, 5, 4, 4)]
    grams = [gram_matrix(f) for f in feats]
    assert style_loss(feats, grams).item() == 0
    x = [torch.randn(1, 3, 8, 8, requires_grad=True), torch.randn(1, 5, 4, 4, requires_grad=True)]
    loss = style_loss(x, grams)
    loss.backward()
    assert loss.item() > 0 and all(t.grad is not None and t.grad.abs().sum() > 0 for t in x)
    with pytest.raises(ValueError, match="one target Gram matrix per layer"):
        style_loss(feats, grams[:1])


def test_content_loss_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="shapes differ"):
        content_loss(torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 4, 4))


def test_total_variation_is_zero_for_flat_images_only():
    assert total_variation(torch.full((1, 3, 8, 8), 0.3)).item() == 0
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., ::2] = 1.0
    assert total_variation(stripes).item() == pytest.approx(1.0)


def test_image_round_trip_and_resize():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
    x = image_to_tensor(image)
    assert x.shape == (1, 3, 30, 40) and 0 <= x.min() and x.max() <= 1
    assert np.array_equal(tensor_to_image(x), image)
    assert image_to_tensor(image, size=15).shape == (1, 3, 15, 20)
    assert image_to_tensor(image, size=(10, 12)).shape == (1, 3, 10, 12)


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match=r"\[H, W, 3\] uint8"):
        image_to_tensor(np.zeros((8, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match="one image"):
        tensor_to_image(torch.zeros(2, 3, 4, 4))
