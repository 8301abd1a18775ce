"""A small decoder-only Transformer for character-level language models.

The page "Attention and a small Transformer" builds these three classes step by step;
the example ``examples/transformer_text.py`` imports them from here to train on *Macbeth*.
The model reads token ids ``[batch, time]`` and returns next-token scores
``[batch, time, vocab_size]``, each position seeing only itself and earlier positions:

>>> import torch
>>> from torchprimer.transformer import TinyTransformer
>>> _ = torch.manual_seed(0)
>>> model = TinyTransformer(vocab_size=10, context=8, dim=16, heads=2, layers=2)
>>> ids = torch.tensor([[1, 2, 3, 4, 5]])
>>> model(ids).shape
torch.Size([1, 5, 10])
>>> changed = torch.tensor([[1, 2, 3, 9, 9]])  # only positions 3 and 4 differ
>>> torch.equal(model(ids)[:, :3], model(changed)[:, :3])  # earlier positions cannot see them
True
>>> sum(p.numel() for p in model.parameters())
7050
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["Block", "CausalSelfAttention", "TinyTransformer"]


# --8<-- [start:model]
class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position ``t`` attends to positions ``0..t`` only."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim={dim} is not divisible by heads={heads}")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)  # queries, keys and values in one matmul
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, time, dim = x.shape
        q, k, v = self.qkv(x).split(dim, dim=-1)
        # [batch, time, dim] -> [batch, heads, time, dim // heads]
        q, k, v = (t.view(batch, time, self.heads, -1).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(batch, time, dim))


class Block(nn.Module):
    """A pre-norm Transformer block: ``x + attn(norm(x))``, then ``x + mlp(norm(x))``."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyTransformer(nn.Module):
    """Token and position embeddings, ``layers`` blocks, a final norm and a linear head.

    ``context`` is the longest sequence the model accepts (one learned position vector
    per position); longer inputs are an error rather than silently cropped.
    """

    def __init__(
        self, vocab_size: int, context: int, dim: int = 64, heads: int = 4, layers: int = 4
    ) -> None:
        super().__init__()
        self.context = context
        self.token = nn.Embedding(vocab_size, dim)
        self.position = nn.Embedding(context, dim)
        self.blocks = nn.Sequential(*(Block(dim, heads) for _ in range(layers)))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        time = ids.shape[1]
        if time > self.context:
            raise ValueError(
                f"sequence of {time} tokens is longer than the context of {self.context}"
            )
        x = self.token(ids) + self.position(torch.arange(time, device=ids.device))
        return self.head(self.norm(self.blocks(x)))
        # --8<-- [end:model]
