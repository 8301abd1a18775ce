"""The character-level GRU both text examples train."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from torchprimer.char_rnn import CharRNN


def test_state_carries_the_text_read_so_far():
    torch.manual_seed(0)
    model = CharRNN(vocab_size=7, hidden=12, embed=5)
    ids = torch.randint(0, 7, (3, 20))
    whole, _ = model(ids)
    first, state = model(ids[:, :8])
    rest, _ = model(ids[:, 8:], state)
    assert torch.allclose(torch.cat([first, rest], dim=1), whole, atol=1e-6)


def test_a_tiny_model_memorises_a_line():
    line = "to be, or not to be"
    chars = sorted(set(line))
    ids = torch.tensor([[chars.index(c) for c in line]])
    torch.manual_seed(0)
    model = CharRNN(len(chars), hidden=64, embed=16)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        scores, _ = model(ids[:, :-1])
        loss = F.cross_entropy(scores.reshape(-1, len(chars)), ids[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    assert model(ids[:, :-1])[0].argmax(dim=-1).tolist() == ids[:, 1:].tolist()
