"""Sequences for recurrent networks: windows of a time series, a character vocabulary.

Two examples feed sequences to an RNN. The forecaster slides a window along a series
(12 months in, the next month out) and compares itself with the seasonal-naive forecast;
the text generator turns characters into integer ids, cuts the text into chunks whose
target is the same chunk shifted by one character, and counts how many words of what it
generates are words of the text it learned from.

>>> import torch
>>> from torchprimer.sequences import CharVocab, seasonal_naive, sliding_windows
>>> x, y = sliding_windows(torch.arange(6.0), window=3)
>>> x.tolist(), y.tolist()
([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [[3.0], [4.0], [5.0]])
>>> seasonal_naive(torch.tensor([1, 2, 3, 4, 5, 6]), season=3, horizon=4).tolist()
[4, 5, 6, 4]
>>> vocab = CharVocab("hello")
>>> vocab.chars, vocab.encode("hole").tolist(), vocab.decode(vocab.encode("hole"))
('ehlo', [1, 3, 2, 0], 'hole')
>>> count_known_words("Fair is foul, and fowl is fiar.", reference="Fair is foul, and foul is fair")
(5, 7)
"""

from __future__ import annotations

import re

import torch

__all__ = [
    "CharVocab",
    "count_known_words",
    "mean_absolute_error",
    "random_chunks",
    "seasonal_naive",
    "sliding_windows",
]

# a word: letters, with apostrophes inside ("o'er", "Macbeth's") but not around it
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def sliding_windows(
    series: torch.Tensor, window: int, horizon: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every ``window`` consecutive values of a 1-D series, with the ``horizon`` values after them.

    Returns ``(inputs, targets)`` of shapes ``[N, window]`` and ``[N, horizon]`` where
    ``N = len(series) - window - horizon + 1``: input ``i`` is ``series[i:i+window]`` and
    its target ``series[i+window:i+window+horizon]``, so no target is ever inside an input.
    """
    if series.dim() != 1:
        raise ValueError(f"series must be 1-D, got shape {tuple(series.shape)}")
    if window < 1 or horizon < 1:
        raise ValueError(f"window and horizon must be >= 1, got window={window}, horizon={horizon}")
    n = series.numel() - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"series of length {series.numel()} is too short for window={window} and horizon={horizon}"
        )
    # unfold makes strided views: windows of window+horizon values, one per start index
    frames = series.unfold(0, window + horizon, 1)
    return frames[:, :window].clone(), frames[:, window:].clone()


def seasonal_naive(history: torch.Tensor, season: int, horizon: int) -> torch.Tensor:
    """Forecast each of the next ``horizon`` steps as the value one season earlier.

    The baseline every seasonal forecaster must beat: for monthly data with ``season=12``,
    next March is predicted to be this March. Steps beyond one season repeat the last
    observed season.
    """
    if history.dim() != 1:
        raise ValueError(f"history must be 1-D, got shape {tuple(history.shape)}")
    if season < 1 or horizon < 1:
        raise ValueError(f"season and horizon must be >= 1, got season={season}, horizon={horizon}")
    if history.numel() < season:
        raise ValueError(
            f"history of length {history.numel()} is shorter than one season ({season})"
        )
    last = history[-season:]
    return last[torch.arange(horizon) % season]


def mean_absolute_error(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """Mean of ``|prediction - target|``, in the units of the data, as a Python float."""
    if prediction.shape != target.shape:
        raise ValueError(
            f"shapes differ: prediction {tuple(prediction.shape)}, target {tuple(target.shape)}"
        )
    return (prediction.double() - target.double()).abs().mean().item()


class CharVocab:
    """The sorted set of characters of a text, with ``encode``/``decode`` between str and ids."""

    def __init__(self, text: str) -> None:
        if not text:
            raise ValueError("text is empty: a vocabulary needs at least one character")
        self.chars = "".join(sorted(set(text)))
        self._index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """Character ids of ``text`` as an ``int64`` tensor; unknown characters are an error."""
        try:
            return torch.tensor([self._index[c] for c in text], dtype=torch.int64)
        except KeyError as err:
            raise ValueError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: torch.Tensor) -> str:
        """The text whose character ids are ``ids`` (any shape is flattened)."""
        return "".join(self.chars[i] for i in ids.flatten().tolist())


def random_chunks(
    ids: torch.Tensor, seq_len: int, batch_size: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of random chunks of ``ids`` and the same chunks shifted one step on.

    Returns ``(inputs, targets)``, both ``[batch_size, seq_len]``: at every position the
    target is the character that follows the input character, which is what a
    character-level language model learns to predict.
    """
    if ids.dim() != 1:
        raise ValueError(f"ids must be 1-D, got shape {tuple(ids.shape)}")
    if seq_len < 1 or batch_size < 1:
        raise ValueError(f"seq_len and batch_size must be >= 1, got {seq_len} and {batch_size}")
    if ids.numel() < seq_len + 1:
        raise ValueError(f"{ids.numel()} ids are too few for chunks of {seq_len} + 1")
    starts = torch.randint(0, ids.numel() - seq_len, (batch_size,), generator=generator)
    offsets = torch.arange(seq_len + 1)
    chunks = ids[starts[:, None] + offsets]
    return chunks[:, :-1], chunks[:, 1:]


def count_known_words(text: str, reference: str) -> tuple[int, int]:
    """``(known, total)``: how many of the words of ``text`` occur in ``reference``, ignoring case.

    A word is a run of letters, with apostrophes inside it. For a character-level model,
    the share of its generated words that are words of its training text measures how
    much of its spelling it has learned (it says nothing about sense).
    """
    known_words = {w.lower() for w in _WORD.findall(reference)}
    words = [w.lower() for w in _WORD.findall(text)]
    return sum(w in known_words for w in words), len(words)
