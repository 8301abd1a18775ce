"""scikit-learn's digits: the random split, the forms they were written on, the published weights."""

from __future__ import annotations

import json

import pytest
import torch

from torchprimer.digits import digit_forms, digits_split, load_digits_tensors
from torchprimer.digits_weights import main


def test_every_form_is_the_first_forms_layout_less_a_few_digits():
    _, labels = load_digits_tensors()
    forms = digit_forms(labels)
    assert forms[0] == 0 and torch.all(forms.diff() >= 0) and torch.all(forms.diff() <= 1)
    layout = labels[forms == 0].tolist()
    assert layout[:30] == list(range(10)) * 3
    for form in range(1, int(forms.max()) + 1):
        written = labels[forms == form].tolist()
        remaining = iter(layout)  # written is the layout less a few digits (one may differ)
        in_order = sum(any(d == x for x in remaining) for d in written)
        assert in_order >= len(written) - 1, form
        assert len(layout) - 10 <= len(written) <= len(layout)


def test_forms_start_only_at_a_first_row():
    with pytest.raises(ValueError, match="first row"):
        digit_forms(torch.tensor([3, *range(10)]))
    with pytest.raises(ValueError, match="1-D"):
        digit_forms(torch.zeros(2, 10, dtype=torch.int64))


def test_random_split_is_stratified_and_complete():
    (x_train, y_train), (x_test, y_test) = digits_split(seed=0)
    assert len(y_train) + len(y_test) == 1797
    share = torch.bincount(y_test, minlength=10) / torch.bincount(y_train, minlength=10)
    assert torch.all((share > 0.3) & (share < 0.37))


def test_publishing_writes_the_weights_and_says_how(tmp_path, capsys):
    assert main(["--publish", str(tmp_path), "--epochs", "1"]) == 0
    sidecar = json.loads((tmp_path / "digits_cnn.json").read_text())
    assert sidecar["arch"] == "DigitsCNN" and (tmp_path / "digits_cnn.pt").is_file()
    assert sidecar["metadata"]["trained_by"] == "python -m torchprimer.digits_weights"
    assert capsys.readouterr().out.startswith("digits_cnn: test accuracy ")
