"""The shipped data files: digests checked, contents as their sources say."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import torch

from torchprimer.datafiles import (
    DATA_FILES,
    data_file,
    load_airline_passengers,
    load_macbeth,
)
from torchprimer.files import sha256_file

SHIPPED = Path(str(resources.files("torchprimer"))) / "data_files"


def test_every_pinned_file_is_shipped_with_its_digest():
    for name, digest in DATA_FILES.items():
        assert sha256_file(SHIPPED / name) == digest


def test_airline_series_is_box_jenkins_series_g():
    months, passengers = load_airline_passengers()
    assert len(months) == len(passengers) == 144
    assert months[0] == "1949-01" and months[-1] == "1960-12"
    # consecutive months, no gap or repeat
    years = sorted({m[:4] for m in months})
    assert years == [str(y) for y in range(1949, 1961)]
    assert all(months[i] == f"{1949 + i // 12}-{i % 12 + 1:02d}" for i in range(144))
    yearly = passengers.reshape(12, 12).sum(dim=1)
    assert yearly[0].item() == 1520 and yearly[-1].item() == 5714
    assert torch.all(yearly[1:] > yearly[:-1])  # traffic grew every year
    assert passengers[:12].tolist() == [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118]
    assert passengers[-12:].tolist() == [417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432]


def test_macbeth_is_the_play():
    text = load_macbeth()
    assert text.startswith("MACBETH\n\nby William Shakespeare")
    assert "Fair is foul, and foul is fair" in text
    assert text.rstrip().endswith("[Flourish. Exeunt.]")
    assert text.isascii()


def test_changed_file_is_refused(tmp_path):
    shutil.copy(SHIPPED / "macbeth.txt", tmp_path / "macbeth.txt")
    with (tmp_path / "macbeth.txt").open("a", encoding="ascii") as f:
        f.write("\nEXTRA LINE")
    with pytest.raises(ValueError, match="SHA-256"):
        load_macbeth(root=tmp_path)


def test_missing_file_names_its_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "airline_passengers.csv")):
        load_airline_passengers(root=tmp_path)


def test_unknown_name_is_refused():
    with pytest.raises(ValueError, match="unknown data file 'hamlet.txt'"):
        data_file("hamlet.txt")
