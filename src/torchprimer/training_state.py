"""The state of a data-parallel run at a step (model, optimizer, ...): rank 0 saves it, every
rank resumes from it.

The files are :mod:`torchprimer.checkpoint`'s step checkpoints (``step-<step>.pt`` with a
``.json`` sidecar holding its SHA-256). Only rank 0 writes, and every rank waits until the
file is complete, so no rank reads, or crashes, past a state still being written. The
state is whatever the training loop puts in a dict; a resuming run loads the newest one:

>>> import tempfile, torch
>>> from torchprimer.distributed import Context
>>> with tempfile.TemporaryDirectory() as folder:
...     path = save_training_state(folder, 7, {"w": torch.ones(2)}, Context())
...     print(path.name, latest_checkpoint(folder) == path, load_training_state(path)["w"])
step-000007.pt True tensor([1., 1.])
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch.distributed as dist

from torchprimer import checkpoint
from torchprimer.distributed import Context

__all__ = ["checkpoint_dir", "latest_checkpoint", "load_training_state", "save_training_state"]

#: The newest complete step checkpoint in a folder, or ``None``.
latest_checkpoint = checkpoint.latest_checkpoint
#: A folder to keep step checkpoints in, checked to exist.
checkpoint_dir = checkpoint.checkpoint_dir


def save_training_state(
    directory: str | os.PathLike[str],
    step: int,
    state: Mapping[str, Any],
    ctx: Context,
    *,
    keep: int = 2,
) -> Path | None:
    """Rank 0 writes the training ``state`` to ``directory/step-<step>.pt`` and its sidecar; every rank waits.

    The format is :mod:`torchprimer.checkpoint`'s: the ``.pt`` file and then its ``.json``
    sidecar (SHA-256, size), each written atomically, so a checkpoint without a sidecar was
    interrupted and :func:`latest_checkpoint` ignores it. Older checkpoints beyond the
    newest ``keep`` are removed. Returns the path on rank 0, ``None`` on the others.
    """
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    path = checkpoint.step_path(checkpoint.checkpoint_dir(directory), step)
    if ctx.is_main:
        checkpoint.save_state(
            state, path, overwrite=True, metadata={"step": step, "world_size": ctx.world_size}
        )
        for old in checkpoint.step_checkpoints(directory)[:-keep]:
            # sidecar first: never a sidecar without its file
            checkpoint.sidecar_path(old).unlink(missing_ok=True)
            old.unlink(missing_ok=True)
    if ctx.distributed:
        dist.barrier()  # nobody reads or crashes past a checkpoint rank 0 is still writing
    return path if ctx.is_main else None


def load_training_state(
    path: str | os.PathLike[str], *, map_location: Any = "cpu"
) -> dict[str, Any]:
    """The training state :func:`save_training_state` wrote, once its bytes match the SHA-256
    its sidecar records.

    ``torch.load(..., weights_only=True)`` unpickles tensors, numbers, strings and
    containers only, so a tampered file cannot run code; the checksum catches a truncated
    or corrupted one with an error that names it (:class:`torchprimer.checkpoint.CheckpointError`).
    """
    return checkpoint.load_state(path, map_location=map_location)[0]
