"""Functions and a dataset that child processes run, for the multiprocessing page.

A process started with the ``spawn`` or ``forkserver`` method does not inherit its
parent's memory: it starts a fresh interpreter and finds its target function by
importing it by module and name. Functions defined in a notebook, in ``python -c`` or on
a page executed by a test runner live in a ``__main__`` the child cannot import, so the
targets the page starts live here, in an importable module.

>>> import torch
>>> t = torch.zeros(3)
>>> add_one(t)
>>> t
tensor([1., 1., 1.])
>>> WorkerIds(4)[2]  # in the main process there is no worker: id -1
tensor([ 2, -1])
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset, get_worker_info

__all__ = ["WorkerIds", "add_one", "add_one_in_place"]


def add_one(*tensors: torch.Tensor) -> None:
    """Add 1 in place to each tensor: a child's change that its parent may or may not see.

    Whether the parent sees it is the point of the demonstration: it does only when the
    tensor's memory is shared between the processes.
    """
    for t in tensors:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"add_one expects tensors, got {type(t).__name__}")
        t.add_(1)


def add_one_in_place(inbox: Any, outbox: Any) -> None:
    """Take one tensor from ``inbox``, report whether it is shared, add 1 to it in place.

    ``inbox`` and ``outbox`` are queues (``torch.multiprocessing.Queue`` across
    processes; anything with ``get``/``put`` works). The child puts
    ``("shared", t.is_shared())`` on ``outbox`` before changing the tensor and
    ``("done", None)`` after, so the parent knows when to look.
    """
    t = inbox.get()
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"add_one_in_place expects a tensor on its inbox, got {type(t).__name__}")
    outbox.put(("shared", t.is_shared()))
    t.add_(1)
    outbox.put(("done", None))


class WorkerIds(Dataset):
    """Sample ``i`` is ``tensor([i, id])``, ``id`` being the DataLoader worker that loaded it.

    ``id`` is -1 when no worker is involved (``num_workers=0``, or indexing directly).
    """

    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"WorkerIds: n must be a non-negative int, got {n!r}")
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> torch.Tensor:
        if not -self.n <= i < self.n:
            raise IndexError(f"WorkerIds: index {i} out of range for {self.n} samples")
        info = get_worker_info()  # None in the main process
        return torch.tensor([i % self.n, -1 if info is None else info.id])
