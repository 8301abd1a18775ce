"""The small data files PyTorch Primer ships, loaded with a checked SHA-256.

The examples need real data but may download nothing, so two small public files live in
``torchprimer/data_files/`` (their sources are named in ``data_files/SOURCES.md``):

* ``airline_passengers.csv``: Box and Jenkins' monthly airline passengers, 1949-1960.
* ``macbeth.txt``: the text of Shakespeare's *Macbeth* (Project Gutenberg's edition).

Each loader checks the file's SHA-256 first (:func:`torchprimer.files.sha256_file`), so an
edited or truncated file fails loudly instead of quietly changing every number the
examples print.

>>> from torchprimer.datafiles import load_airline_passengers, load_macbeth
>>> months, passengers = load_airline_passengers()
>>> len(passengers), months[0], passengers[:3].tolist(), months[-1], passengers[-1].item()
(144, '1949-01', [112, 118, 132], '1960-12', 432)
>>> load_macbeth()[:7]
'MACBETH'
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import torch

from torchprimer.files import sha256_file

__all__ = ["DATA_FILES", "data_file", "load_airline_passengers", "load_macbeth"]

# The one place the expected contents are pinned: change a file, change its digest here.
DATA_FILES: dict[str, str] = {
    "airline_passengers.csv": "396d2e5658780d8588cb49572660433ecaf8a6efa18e356648bf813191af0dcf",
    "macbeth.txt": "54e1d8055ffa2aec7e831ec43044dd646cacdfce5bf333fa81e6af9c0363c3b7",
}


def data_file(name: str, *, root: Path | None = None) -> Path:
    """Path of a shipped data file, after checking its SHA-256 against :data:`DATA_FILES`.

    ``root`` is the folder to look in (the package's ``data_files/`` by default; tests
    point it elsewhere). Raises ``ValueError`` for a name that is not shipped,
    ``FileNotFoundError`` for a missing file and ``ValueError`` for a digest mismatch.
    """
    if name not in DATA_FILES:
        raise ValueError(f"unknown data file {name!r}; shipped files: {sorted(DATA_FILES)}")
    folder = (
        Path(root) if root is not None else Path(str(resources.files("torchprimer"))) / "data_files"
    )
    path = folder / name
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    digest = sha256_file(path)
    if digest != DATA_FILES[name]:
        raise ValueError(
            f"{path} has SHA-256 {digest}, expected {DATA_FILES[name]}: the file was changed"
        )
    return path


def load_airline_passengers(*, root: Path | None = None) -> tuple[list[str], torch.Tensor]:
    """Months (``"YYYY-MM"``) and passenger counts (thousands, ``int64``), 1949-01 to 1960-12."""
    path = data_file("airline_passengers.csv", root=root)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    months = [row["month"] for row in rows]
    passengers = torch.tensor([int(row["passengers"]) for row in rows], dtype=torch.int64)
    return months, passengers


def load_macbeth(*, root: Path | None = None) -> str:
    """The whole text of *Macbeth* as one string (103,427 ASCII characters)."""
    return data_file("macbeth.txt", root=root).read_text(encoding="ascii")
