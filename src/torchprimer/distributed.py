"""Data-parallel training: the process group from torchrun's environment, sharded data and
rank-0 logging. :mod:`torchprimer.training_state` saves and resumes a run's state at a
step, and ``python -m torchprimer.checked_torchrun`` is the checked front door to
``torchrun`` itself.

A script that uses these runs unchanged in two ways:

* ``torchrun --nproc_per_node=N script.py``: torchrun starts N processes and gives each
  ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``;
  :func:`setup` reads them (:func:`torchprimer.torchrun_env.read_torchrun_env`) and joins
  the process group (gloo on the CPU, nccl on GPUs).
* ``python script.py``: none of those variables is set, so :func:`setup` returns a
  one-process :class:`Context` and creates no process group at all.

Outside torchrun everything is rank 0 of a world of one:

>>> from torchprimer.distributed import setup
>>> ctx = setup(environ={})
>>> ctx.rank, ctx.world_size, ctx.is_main, ctx.distributed, ctx.backend
(0, 1, True, False, None)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from torchprimer.torchrun_env import LAUNCH_VARS, read_torchrun_env

__all__ = [
    "Context",
    "RendezvousFailed",
    "cleanup",
    "max_param_difference",
    "print0",
    "setup",
    "shard_loader",
    "unwrap",
]


class RendezvousFailed(ConnectionError):
    """This process could not join its process group (the endpoint is down or a rank is missing)."""


@dataclass(frozen=True)
class Context:
    """This process's place in the job, returned by :func:`setup`.

    ``backend`` is ``None`` when there is no process group (a plain ``python`` run).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    device: torch.device = torch.device("cpu")
    restart_count: int = 0

    @property
    def is_main(self) -> bool:
        """True on rank 0, the one process that logs and writes checkpoints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """True when a process group exists, i.e. collectives and DDP can be used."""
        return self.backend is not None


def _pick_device(device: str, local_rank: int) -> torch.device:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device='cuda' but no GPU is visible; use device='cpu' (gloo)")
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"local rank {local_rank} has no GPU: only {torch.cuda.device_count()} "
                "visible; --nproc_per_node must not exceed the GPUs per machine"
            )
        return torch.device("cuda", local_rank)
    if device != "cpu":
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    return torch.device("cpu")


def setup(
    *, device: str = "auto", timeout: float = 300.0, environ: Mapping[str, str] | None = None
) -> Context:
    """Joins the process group torchrun describes, or returns a one-process context.

    Args:
        device: ``"auto"`` (a GPU per local rank when there are GPUs, else the CPU),
            ``"cpu"`` or ``"cuda"``. The backend follows: nccl for GPUs, gloo for the CPU.
        timeout: seconds to wait for the other ranks, here and in every later
            collective; a rank that never arrives becomes an error instead of a hang.
        environ: the variables to read; ``os.environ`` by default.

    Raises:
        ValueError: a partial or malformed torchrun environment, or a device that is
            not there.
        RendezvousFailed: the store at ``MASTER_ADDR:MASTER_PORT`` could not be reached
            or not every rank arrived within ``timeout``.
    """
    launch = read_torchrun_env(environ)
    if launch is None:
        return Context(device=_pick_device(device, 0))
    dev = _pick_device(device, launch.local_rank)
    backend = "nccl" if dev.type == "cuda" else "gloo"
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    # init_process_group's env:// reads os.environ only (and, under torchrun, joins the
    # store the torchrun agent already hosts), so a given mapping is put there for the call.
    saved = {name: os.environ.get(name) for name in LAUNCH_VARS}
    if environ is not None:
        os.environ.update({name: environ[name] for name in LAUNCH_VARS})
    try:
        dist.init_process_group(
            backend,
            timeout=timedelta(seconds=timeout),
            device_id=dev if dev.type == "cuda" else None,
        )
    except (dist.DistError, TimeoutError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RendezvousFailed(
            f"rank {launch.rank} of {launch.world_size} could not join the process group at "
            f"{launch.master_addr}:{launch.master_port} (timeout {timeout:g} s): {first}"
        ) from None
    finally:
        if environ is not None:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return Context(
        rank=launch.rank,
        world_size=launch.world_size,
        local_rank=launch.local_rank,
        backend=backend,
        device=dev,
        restart_count=launch.restart_count,
    )


def cleanup() -> None:
    """Destroys the process group if one exists; safe to call twice or without one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def print0(ctx: Context, *args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only, flushed: N ranks would print every line N times.

    >>> print0(Context(rank=0), "epoch 1")
    epoch 1
    >>> print0(Context(rank=1, world_size=2), "epoch 1")
    """
    if ctx.is_main:
        print(*args, flush=True, **kwargs)


def shard_loader(
    dataset: Dataset,
    batch_size: int,
    ctx: Context,
    *,
    seed: int = 0,
    shuffle: bool = True,
    drop_last: bool = True,
) -> DataLoader:
    """A DataLoader over this rank's shard of ``dataset``, ``batch_size`` samples per rank.

    Each epoch :class:`~torch.utils.data.DistributedSampler` shuffles all indices with
    ``seed + epoch``, the same permutation on every rank, and deals them out: rank r
    takes positions r, r + world_size, ... So one step of all ranks together sees a
    contiguous slice of that permutation, ``world_size * batch_size`` samples: exactly
    the batch one process with that batch size would see. Call
    ``loader.sampler.set_epoch(epoch)`` before each epoch, or every epoch repeats the
    order of the first.

    ``drop_last=True`` (the default here) drops the tail that does not fill a batch on
    every rank, so the steps of N ranks match those of one process sample for sample.

    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> data = TensorDataset(torch.arange(8))
    >>> [[b[0].tolist() for b in shard_loader(data, 2, Context(rank=r, world_size=2), shuffle=False)]
    ...  for r in (0, 1)]
    [[[0, 2], [4, 6]], [[1, 3], [5, 7]]]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    sampler = DistributedSampler(
        dataset,
        num_replicas=ctx.world_size,
        rank=ctx.rank,
        shuffle=shuffle,
        seed=seed,
        drop_last=drop_last,
    )
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last)
    if len(loader) == 0:
        raise ValueError(
            f"{len(dataset)} samples give no full batch of {batch_size} on each of "
            f"{ctx.world_size} ranks; lower the batch size"
        )
    return loader


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (or the model itself).

    Save ``unwrap(model).state_dict()``: DDP's own keys start with ``module.`` and do not
    load into the plain model.
    """
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def max_param_difference(model: nn.Module, ctx: Context) -> float:
    """Largest absolute difference between this rank's parameters and rank 0's, over all ranks.

    DDP's promise is that this stays 0.0: every rank applies the same averaged gradient
    to the same starting weights. Without a process group it is 0.0 trivially.
    """
    if not ctx.distributed:
        return 0.0
    with torch.no_grad():
        mine = torch.cat([p.detach().reshape(-1) for p in unwrap(model).parameters()])
        reference = mine.clone()
        dist.broadcast(reference, src=0)
        worst = (mine - reference).abs().max().reshape(1)
        dist.all_reduce(worst, op=dist.ReduceOp.MAX)
    return float(worst.item())
