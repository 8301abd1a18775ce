"""Windows of a series, the seasonal-naive baseline, the character vocabulary."""

from __future__ import annotations

import pytest
import torch

from torchprimer.sequences import (
    CharVocab,
    count_known_words,
    mean_absolute_error,
    random_chunks,
    seasonal_naive,
    sliding_windows,
)


def test_windows_cover_the_series_without_leaking_targets():
    series = torch.arange(100.0)
    x, y = sliding_windows(series, window=12, horizon=3)
    assert x.shape == (86, 12) and y.shape == (86, 3)
    for i in (0, 41, 85):
        assert torch.equal(x[i], series[i : i + 12])
        assert torch.equal(y[i], series[i + 12 : i + 15])
    assert (y.min(dim=1).values > x.max(dim=1).values).all()  # every target comes after its window


def test_windows_are_copies_not_views():
    series = torch.zeros(10)
    x, _ = sliding_windows(series, window=4)
    x += 1
    assert series.sum().item() == 0


@pytest.mark.parametrize(
    ("series", "window", "horizon", "message"),
    [
        (torch.zeros(3, 3), 2, 1, "1-D"),
        (torch.zeros(5), 0, 1, ">= 1"),
        (torch.zeros(5), 5, 1, "too short"),
    ],
)
def test_bad_windows_are_refused(series, window, horizon, message):
    with pytest.raises(ValueError, match=message):
        sliding_windows(series, window, horizon)


def test_seasonal_naive_repeats_the_last_season():
    history = torch.arange(1, 31)
    forecast = seasonal_naive(history, season=12, horizon=24)
    assert torch.equal(forecast[:12], history[-12:])
    assert torch.equal(forecast[12:], history[-12:])
    assert torch.equal(seasonal_naive(history, season=12, horizon=5), history[18:23])
    with pytest.raises(ValueError, match="shorter than one season"):
        seasonal_naive(torch.arange(5), season=12, horizon=1)


def test_seasonal_naive_is_exact_on_a_periodic_series():
    t = torch.arange(48.0)
    series = torch.sin(2 * torch.pi * t / 12)
    forecast = seasonal_naive(series[:36], season=12, horizon=12)
    assert mean_absolute_error(forecast, series[36:]) < 1e-6


def test_mean_absolute_error():
    assert mean_absolute_error(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2.0, 2.0, 1.0])) == 1.0
    with pytest.raises(ValueError, match="shapes differ"):
        mean_absolute_error(torch.zeros(3), torch.zeros(4))


def test_vocab_round_trips_and_is_sorted():
    text = "To be, or not to be: that is the question."
    vocab = CharVocab(text)
    assert len(vocab) == len(set(text))
    assert list(vocab.chars) == sorted(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == torch.int64 and ids.max().item() == len(vocab) - 1
    assert vocab.decode(ids) == text
    assert vocab.decode(ids.reshape(1, -1)) == text


def test_vocab_refuses_unknown_and_empty():
    with pytest.raises(ValueError, match="'z' is not in the vocabulary"):
        CharVocab("abc").encode("abz")
    with pytest.raises(ValueError, match="empty"):
        CharVocab("")


def test_random_chunks_targets_are_shifted_inputs():
    ids = torch.arange(1000)
    g = torch.Generator().manual_seed(0)
    x, y = random_chunks(ids, seq_len=20, batch_size=8, generator=g)
    assert x.shape == y.shape == (8, 20)
    assert torch.equal(y[:, :-1], x[:, 1:])
    assert torch.equal(y[:, -1], x[:, -1] + 1)
    assert int(y.max()) <= 999
    g2 = torch.Generator().manual_seed(0)
    assert torch.equal(random_chunks(ids, 20, 8, generator=g2)[0], x)  # same seed, same batch


def test_random_chunks_refuses_short_text():
    with pytest.raises(ValueError, match="too few"):
        random_chunks(torch.arange(10), seq_len=10, batch_size=1)


def test_known_words_ignore_case_and_punctuation():
    reference = "Is this a dagger which I see before me, the handle toward my hand?"
    assert count_known_words("THE dagger; the hand!", reference) == (4, 4)
    assert count_known_words("a dreware, Covelation o'er me", reference) == (2, 5)
    assert count_known_words("", reference) == (0, 0)
    assert count_known_words("Macbeth's hand", "Macbeth's hand") == (2, 2)
