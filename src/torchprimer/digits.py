"""scikit-learn's bundled 8x8 digits as tensors: a random split, and the forms they came from.

scikit-learn ships the digits (1,797 images, no download). Its description says they are
the test set of the UCI "Optical Recognition of Handwritten Digits" data, written by 13
people; it does not say who wrote which digit. The file's order does say how the digits
were collected: their labels follow the layout of one preprinted form, pass after pass,
and :func:`digit_forms` numbers those passes, the nearest thing to writers the data offer.

>>> (x_train, y_train), (x_test, y_test) = digits_split(seed=0)
>>> tuple(x_train.shape), tuple(x_test.shape), x_train.dtype, float(x_train.max())
((1347, 1, 8, 8), (450, 1, 8, 8), torch.float32, 1.0)
>>> forms = digit_forms(load_digits_tensors()[1])
>>> forms[:3].tolist(), int(forms.max()) + 1, torch.bincount(forms)[:4].tolist()
([0, 0, 0], 14, [130, 126, 130, 130])
"""

from __future__ import annotations

import torch

__all__ = ["digit_forms", "digits_split", "load_digits_tensors"]

#: A form's first row: the ten digits in order (three times, on the forms of this data).
FORM_START = tuple(range(10))
#: The first row with one of its digits missing from the data.
_SHORT_STARTS = {FORM_START[:k] + FORM_START[k + 1 :] for k in range(10)}
#: Labels between two form starts, at least: a form holds well over a hundred digits.
MIN_FORM_LENGTH = 40


def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """``load_digits()`` as images ``(1797, 1, 8, 8)`` scaled to 0..1 and ``int64`` labels, in file order."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    return images, torch.tensor(digits.target, dtype=torch.int64)


def digits_split(
    seed: int = 0,
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """``load_digits()`` as tensors ``(N, 1, 8, 8)`` scaled to 0..1, split 75/25 stratified by class.

    The split is random, so the same writers' digits land on both sides: its test score
    measures handwriting the model has seen other samples of.
    """
    import numpy as np
    from sklearn.model_selection import train_test_split

    images, labels = load_digits_tensors()
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=0.25, stratify=labels.numpy(), random_state=seed
    )
    return (images[train_idx], labels[train_idx]), (images[test_idx], labels[test_idx])


def digit_forms(labels: torch.Tensor) -> torch.Tensor:
    """The form each digit was written on, numbered 0, 1, ... in file order.

    A form starts where the labels run 0, 1, ..., 9 (the form's first row, or that row
    with one digit missing) at least :data:`MIN_FORM_LENGTH` labels after the previous
    start. Some digits of a form are missing from the data, so forms differ a little in length.

    >>> labels = torch.tensor([*range(10), *range(10), *[5] * 20, *range(1, 10), 2])
    >>> torch.bincount(digit_forms(labels)).tolist()  # the second 0..9 is too close to start one
    [40, 10]
    """
    if labels.dim() != 1:
        raise ValueError(f"labels must be 1-D, got shape {tuple(labels.shape)}")
    values = labels.tolist()
    starts: list[int] = []
    for i in range(len(values)):
        row = tuple(values[i : i + len(FORM_START)])
        if (row == FORM_START or row[:-1] in _SHORT_STARTS) and (
            not starts or i - starts[-1] >= MIN_FORM_LENGTH
        ):
            starts.append(i)
    if not starts or starts[0] != 0:
        raise ValueError("the labels do not start with a form's first row (0 to 9)")
    forms = torch.zeros(len(values), dtype=torch.int64)
    for start in starts[1:]:
        forms[start:] += 1
    return forms
