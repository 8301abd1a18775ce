"""Checkpoints with a recorded SHA-256, checked before anything is unpickled: the one format.

A checkpoint is two files: ``<name>.pt`` (tensors and plain values saved with
``torch.save``) and ``<name>.json`` beside it (its SHA-256, size and metadata; for a model,
the architecture to rebuild). :func:`load_state` hashes the ``.pt`` file first and only
then calls ``torch.load(..., weights_only=True)``, which refuses to run code from the
file. The ``.pt`` file is written first and the sidecar last, each to a temporary name
renamed into place (:func:`torchprimer.files.atomic_write`): a crash never leaves half a
file, and a ``.pt`` without its sidecar is an interrupted save that
:func:`latest_checkpoint` ignores. An existing checkpoint is replaced only when asked.

Two kinds share the format: a model's weights (:func:`save_checkpoint`,
:func:`load_model`) and any training state, such as a step of a run with its optimiser
(:func:`save_state`, :func:`load_state`; :mod:`torchprimer.distributed` saves steps with it).

>>> import tempfile, torch
>>> from torchprimer.models import DigitsCNN
>>> path = tempfile.mkdtemp() + "/digits.pt"
>>> info = save_checkpoint(DigitsCNN(), path, arch="DigitsCNN", kwargs={}, metadata={"note": "untrained"})
>>> len(info["sha256"]), info["arch"]
(64, 'DigitsCNN')
>>> model = load_model(path)
>>> model.training
False
>>> with open(path, "r+b") as f:
...     _ = f.truncate(100)
>>> try:
...     load_model(path)
... except CheckpointError as err:
...     print(str(err).split(": ")[1])
truncated

``python -m torchprimer.checkpoint FILE.pt ...`` verifies files from the command line:
one line per file, exit status 1 if any fails.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from torchprimer.files import atomic_write, sha256_file

FORMAT = "torchprimer-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint that must not be loaded; the message names the file and the reason."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint or its sidecar does not exist (also a :class:`FileNotFoundError`)."""


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``model.pt`` -> ``model.json``."""
    return Path(path).with_suffix(".json")


def save_state(
    state: Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    metadata: dict[str, Any] | None = None,
    overwrite: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """Save ``state`` (tensors, numbers, strings, containers) to ``path`` and its sidecar; return the sidecar.

    Tensors are moved to the CPU first, so the file loads on any machine. ``fields`` are
    extra sidecar entries (a model's ``arch`` and ``kwargs``). Raises FileExistsError if
    either file exists and ``overwrite`` is false.
    """
    path = Path(path)
    if path.suffix != ".pt":
        raise ValueError(f"{path}: a checkpoint file name must end in .pt")
    side = sidecar_path(path)
    if not overwrite:
        for target in (path, side):
            if target.exists():
                raise FileExistsError(f"{target}: exists; pass overwrite=True to replace it")
    buffer = io.BytesIO()
    torch.save(
        {
            key: value.detach().cpu().clone() if isinstance(value, torch.Tensor) else value
            for key, value in state.items()
        },
        buffer,
    )
    data = buffer.getvalue()
    import hashlib

    info = {
        "format": FORMAT,
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        **fields,
        "metadata": metadata or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    atomic_write(side, (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())
    return info


def save_checkpoint(
    model: nn.Module | dict[str, torch.Tensor],
    path: str | os.PathLike[str],
    *,
    arch: str,
    kwargs: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Save a model's ``state_dict`` to ``path`` (``.pt``) and its sidecar ``.json``; return the sidecar.

    ``arch`` and ``kwargs`` say how to rebuild the model (:func:`torchprimer.models.build`);
    ``metadata`` is anything JSON can hold (where it was trained, its accuracy ...).
    """
    state = model.state_dict() if isinstance(model, nn.Module) else model
    return save_state(
        state, path, metadata=metadata, overwrite=overwrite, arch=arch, kwargs=kwargs or {}
    )


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The sidecar JSON of checkpoint ``path``, checked for the fields loading needs."""
    side = sidecar_path(path)
    if not side.is_file():
        raise CheckpointNotFoundError(
            f"{side}: sidecar not found (it records the checkpoint's SHA-256)"
        )
    try:
        info = json.loads(side.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{side}: not valid JSON ({err})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CheckpointError(f"{side}: not a {FORMAT} sidecar")
    missing = [key for key in ("sha256", "bytes") if key not in info]
    if missing:
        raise CheckpointError(f"{side}: missing fields {missing}")
    return info


def verify(path: str | os.PathLike[str], sha256: str | None = None) -> dict[str, Any]:
    """Check ``path`` against its sidecar (or against ``sha256`` if given); return the sidecar.

    Raises :class:`CheckpointError` naming the file: missing, truncated (shorter than
    recorded), or a SHA-256 that differs (corrupted or replaced).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointNotFoundError(f"{path}: checkpoint not found")
    info = read_sidecar(path) if sha256 is None else {"sha256": sha256, "bytes": None}
    size = path.stat().st_size
    if info["bytes"] is not None and size < info["bytes"]:
        raise CheckpointError(
            f"{path}: truncated: {size} bytes, the sidecar records {info['bytes']} "
            "(the file is incomplete)"
        )
    actual = sha256_file(path)
    if actual != info["sha256"]:
        raise CheckpointError(
            f"{path}: SHA-256 mismatch: expected {info['sha256'][:16]}..., "
            f"got {actual[:16]}... (the file is corrupted or was replaced)"
        )
    return info


def load_state(
    path: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    map_location: str | torch.device = "cpu",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify ``path`` (:func:`verify`), then ``torch.load(..., weights_only=True)`` it.

    Returns ``(state, sidecar)``. The hash is checked *before* unpickling: a file that
    does not match never reaches ``torch.load``.
    """
    info = verify(path, sha256)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # a file whose recorded hash matches but is not a checkpoint
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CheckpointError(f"{path}: not a loadable checkpoint ({first})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: holds a {type(state).__name__}, expected a state_dict")
    return state, info


def load_model(
    path: str | os.PathLike[str], *, map_location: str | torch.device = "cpu"
) -> nn.Module:
    """Rebuild the model a checkpoint describes, load its verified weights, and put it in eval mode."""
    from torchprimer.models import build

    state, info = load_state(path, map_location=map_location)
    if "arch" not in info:
        raise CheckpointError(
            f"{path}: a training state, not a model checkpoint (its sidecar names no arch)"
        )
    model = build(info["arch"], **info.get("kwargs", {}))
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(
            f"{path}: weights do not fit {info['arch']}"
            f"({info['kwargs']}): {str(err).splitlines()[0]}"
        ) from None
    return model.to(map_location).eval()


#: A model checkpoint loads as a state dict too.
load_checkpoint = load_state
_STEP = re.compile(r"^step-(\d{6,})\.pt$")


def checkpoint_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, if it is an existing directory.

    It is not created: a mistyped path on a resume would otherwise start a fresh run
    silently and look like it resumed.

    >>> checkpoint_dir("/no/such/folder")
    Traceback (most recent call last):
    ...
    FileNotFoundError: checkpoint directory /no/such/folder does not exist; create it first (mkdir -p /no/such/folder)
    """
    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(
            f"checkpoint directory {folder} does not exist; create it first (mkdir -p {folder})"
        )
    if not folder.is_dir():
        raise NotADirectoryError(f"checkpoint directory {folder} is a file, not a directory")
    return folder


def step_path(directory: str | os.PathLike[str], step: int) -> Path:
    """``<directory>/step-<step, 6 digits>.pt``: the name a run's step checkpoints get."""
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    return Path(directory) / f"step-{step:06d}.pt"


def step_checkpoints(directory: str | os.PathLike[str]) -> list[Path]:
    """The complete step checkpoints (file and sidecar) in ``directory``, oldest step first."""
    folder = checkpoint_dir(directory)
    found = [
        (int(m.group(1)), p)
        for p in folder.iterdir()
        if (m := _STEP.match(p.name)) and sidecar_path(p).is_file()
    ]
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | os.PathLike[str]) -> Path | None:
    """The complete step checkpoint with the highest step in ``directory``, or ``None``."""
    found = step_checkpoints(directory)
    return found[-1] if found else None


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths or any(p.startswith("-") for p in paths):
        print("usage: python -m torchprimer.checkpoint FILE.pt [FILE.pt ...]", file=sys.stderr)
        return 2
    status = 0
    for path in paths:
        try:
            info = verify(path)
        except (CheckpointError, OSError) as err:
            print(f"checkpoint: error: {err}", file=sys.stderr)
            status = 1
        else:
            print(
                f"{path}: ok, sha256 {info['sha256'][:16]}..., {info['bytes']} bytes, {info.get('arch', 'state')}"
            )
    return status


if __name__ == "__main__":
    sys.exit(main())
