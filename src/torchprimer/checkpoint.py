"""Checkpoints with a recorded SHA-256, checked before anything is unpickled.

A checkpoint is two files: ``<name>.pt`` (a ``state_dict`` saved with ``torch.save``)
and ``<name>.json`` beside it (its SHA-256, size, architecture and what produced it).
:func:`load_checkpoint` hashes the ``.pt`` file first and only then calls
``torch.load(..., weights_only=True)``, which refuses to run code from the file. Both
files are written to a temporary name and renamed into place, so a crash never leaves
half a checkpoint, and an existing checkpoint is only replaced when asked.

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

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

FORMAT = "torchprimer-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint that must not be loaded; the message names the file and the reason."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint or its sidecar does not exist (also a :class:`FileNotFoundError`)."""


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``model.pt`` -> ``model.json``."""
    return Path(path).with_suffix(".json")


def _atomic_write_bytes(path: Path, data: bytes, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: exists; pass overwrite=True to replace it")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    Tensors are moved to the CPU first, so the file loads on any machine.
    Raises FileExistsError if either file exists and ``overwrite`` is false.
    """
    path = Path(path)
    if path.suffix != ".pt":
        raise ValueError(f"{path}: a checkpoint file name must end in .pt")
    side = sidecar_path(path)
    if not overwrite:
        for target in (path, side):
            if target.exists():
                raise FileExistsError(f"{target}: exists; pass overwrite=True to replace it")
    state = model.state_dict() if isinstance(model, nn.Module) else model
    state = {key: value.detach().cpu().clone() if isinstance(value, torch.Tensor) else value
             for key, value in state.items()}
    import io

    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    info = {
        "format": FORMAT,
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "arch": arch,
        "kwargs": kwargs or {},
        "metadata": metadata or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write_bytes(path, data, overwrite=True)
    _atomic_write_bytes(side, (json.dumps(info, indent=2, sort_keys=True) + "\n").encode(), overwrite=True)
    return info


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The sidecar JSON of checkpoint ``path``, checked for the fields loading needs."""
    side = sidecar_path(path)
    if not side.is_file():
        raise CheckpointNotFoundError(f"{side}: sidecar not found (it records the checkpoint's SHA-256)")
    try:
        info = json.loads(side.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{side}: not valid JSON ({err})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise CheckpointError(f"{side}: not a {FORMAT} sidecar")
    missing = [key for key in ("sha256", "bytes", "arch", "kwargs") if key not in info]
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
        raise CheckpointError(f"{path}: truncated: {size} bytes, the sidecar records {info['bytes']} "
                              "(the file is incomplete)")
    actual = sha256_file(path)
    if actual != info["sha256"]:
        raise CheckpointError(f"{path}: SHA-256 mismatch: expected {info['sha256'][:16]}..., "
                              f"got {actual[:16]}... (the file is corrupted or was replaced)")
    return info


def load_checkpoint(path: str | os.PathLike[str], *, sha256: str | None = None,
                    map_location: str | torch.device = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Verify ``path`` (:func:`verify`), then ``torch.load(..., weights_only=True)`` it.

    Returns ``(state_dict, sidecar)``. The hash is checked *before* unpickling: a file
    that does not match never reaches ``torch.load``.
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


def load_model(path: str | os.PathLike[str], *, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model a checkpoint describes, load its verified weights, and put it in eval mode."""
    from torchprimer.models import build

    state, info = load_checkpoint(path, map_location=map_location)
    model = build(info["arch"], **info["kwargs"])
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit {info['arch']}"
                              f"({info['kwargs']}): {str(err).splitlines()[0]}") from None
    return model.to(map_location).eval()


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
            print(f"{path}: ok, sha256 {info['sha256'][:16]}..., {info['bytes']} bytes, {info['arch']}")
    return status


if __name__ == "__main__":
    sys.exit(main())
