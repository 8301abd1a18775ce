"""A character-level recurrent language model: embedding, GRU, linear head.

The text generation example trains it on *Macbeth*; the Transformer example trains it
again beside :class:`torchprimer.transformer.TinyTransformer`, so both examples import the
one class from here. It reads character ids ``[batch, time]`` and returns next-character
scores ``[batch, time, vocab_size]`` and the GRU's final hidden state, from which a
sampler can continue without re-reading the text:

>>> import torch
>>> from torchprimer.char_rnn import CharRNN
>>> _ = torch.manual_seed(0)
>>> model = CharRNN(vocab_size=10, hidden=16, embed=4)
>>> ids = torch.tensor([[1, 2, 3, 4, 5]])
>>> scores, state = model(ids)
>>> tuple(scores.shape), tuple(state.shape)  # state: [layers, batch, hidden]
((1, 5, 10), (1, 1, 16))
>>> more, _ = model(torch.tensor([[6]]), state)  # one more character, from where it stopped
>>> torch.allclose(more[0, -1], model(torch.tensor([[1, 2, 3, 4, 5, 6]]))[0][0, -1], atol=1e-6)
True
>>> sum(p.numel() for p in model.parameters())
1266
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CharRNN"]


class CharRNN(nn.Module):
    """``vocab_size`` ids to ``embed``-wide vectors, a GRU of ``hidden`` units, scores per id."""

    def __init__(self, vocab_size: int, hidden: int, embed: int = 32) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.gru = nn.GRU(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out, state = self.gru(self.embed(x), state)  # out: [batch, time, hidden]
        return self.head(out), state  # scores: [batch, time, vocab]
