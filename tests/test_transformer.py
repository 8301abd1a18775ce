"""torchprimer.transformer: causal attention, the pre-norm block and the small decoder-only model."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from torchprimer.transformer import Block, CausalSelfAttention, TinyTransformer


@pytest.fixture(autouse=True)
def one_thread():
    """Models this small run fastest on one thread; extra threads only wait on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_attention_equals_masked_softmax_by_hand():
    torch.manual_seed(0)
    attn = CausalSelfAttention(dim=12, heads=3)
    x = torch.randn(2, 7, 12)
    q, k, v = attn.qkv(x).split(12, dim=-1)
    q, k, v = (t.view(2, 7, 3, 4).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(4)
    scores = scores.masked_fill(~torch.tril(torch.ones(7, 7, dtype=torch.bool)), float("-inf"))
    y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(2, 7, 12)
    assert torch.allclose(attn(x), attn.proj(y), atol=1e-6)


def test_no_position_depends_on_a_later_one():
    torch.manual_seed(0)
    model = TinyTransformer(vocab_size=11, context=16, dim=16, heads=4, layers=3)
    ids = torch.randint(0, 11, (3, 16))
    embedded = (model.token(ids) + model.position(torch.arange(16))).detach().requires_grad_(True)
    out = model.head(model.norm(model.blocks(embedded)))
    out[:, 9].sum().backward()  # scores at position 9
    grad_per_position = embedded.grad.abs().sum(dim=(0, 2))
    assert (grad_per_position[:10] > 0).all()
    assert (grad_per_position[10:] == 0).all()


def test_block_is_residual_and_pre_norm():
    torch.manual_seed(0)
    block = Block(dim=8, heads=2)
    for part in (
        block.attn.proj,
        block.mlp[2],
    ):  # zero the output layers: the block is the identity
        nn.init.zeros_(part.weight)
        nn.init.zeros_(part.bias)
    x = torch.randn(2, 5, 8)
    assert torch.equal(block(x), x)


def test_parameter_count_follows_the_formula():
    vocab, context, dim, layers = 67, 100, 64, 4
    model = TinyTransformer(vocab, context, dim=dim, heads=4, layers=layers)
    per_block = 12 * dim * dim + 9 * dim + 4 * dim  # weights, biases (3d + d + 4d + d), two norms
    expected = vocab * dim + context * dim + layers * per_block + 2 * dim + dim * vocab + vocab
    assert sum(p.numel() for p in model.parameters()) == expected == 215_107


def test_bad_shapes_are_errors():
    with pytest.raises(ValueError, match="dim=10 is not divisible by heads=4"):
        TinyTransformer(vocab_size=5, context=4, dim=10, heads=4)
    model = TinyTransformer(vocab_size=5, context=4, dim=8, heads=2, layers=1)
    assert model(torch.zeros(1, 4, dtype=torch.long)).shape == (1, 4, 5)
    with pytest.raises(ValueError, match="sequence of 5 tokens is longer than the context of 4"):
        model(torch.zeros(1, 5, dtype=torch.long))


def test_a_tiny_model_memorises_a_line():
    line = "to be, or not to be"
    chars = sorted(set(line))
    ids = torch.tensor([[chars.index(c) for c in line]])
    torch.manual_seed(0)
    model = TinyTransformer(len(chars), context=len(line), dim=32, heads=2, layers=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        loss = F.cross_entropy(model(ids[:, :-1]).reshape(-1, len(chars)), ids[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    assert model(ids[:, :-1]).argmax(dim=-1).tolist() == ids[:, 1:].tolist()
