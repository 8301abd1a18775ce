"""Data-parallel training: the process group from torchrun's environment, sharded data,
rank-0 logging and checkpoints, and a checked front door to ``torchrun``.

A script that uses these runs unchanged in two ways:

* ``torchrun --nproc_per_node=N script.py``: torchrun starts N processes and gives each
  ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``;
  :func:`setup` reads them and joins the process group (gloo on the CPU, nccl on GPUs).
* ``python script.py``: none of those variables is set, so :func:`setup` returns a
  one-process :class:`Context` and creates no process group at all.

Outside torchrun everything is rank 0 of a world of one:

>>> from torchprimer.distributed import launch_from_env, setup
>>> launch_from_env({}) is None
True
>>> ctx = setup(environ={})
>>> ctx.rank, ctx.world_size, ctx.is_main, ctx.distributed, ctx.backend
(0, 1, True, False, None)

``python -m torchprimer.distributed`` takes torchrun's own arguments, checks the ones
torchrun reports badly (``--nproc_per_node=0`` is a bare ``AssertionError`` there), and
turns a failed job into one line on stderr; see :func:`launch`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

if __name__ == "__main__":
    # The launcher's own failed connection attempts are logged by torch's C++ side, with
    # stack frames, before the Python error launch() reports in one line. c10 reads its
    # log level once, when torch loads; the variable is removed again right after, so
    # the training processes torchrun starts log as usual.
    _QUIET_CPP = "TORCH_CPP_LOG_LEVEL" not in os.environ
    if _QUIET_CPP:
        os.environ["TORCH_CPP_LOG_LEVEL"] = "FATAL"

import torch
import torch.distributed as dist

if __name__ == "__main__" and _QUIET_CPP:
    del os.environ["TORCH_CPP_LOG_LEVEL"]
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

__all__ = [
    "ArgumentParser", "Context", "Launch", "RendezvousFailed", "check_nnodes", "check_nproc_per_node",
    "checkpoint_dir", "cleanup", "exit_with_input_error", "latest_checkpoint", "launch",
    "launch_from_env", "load_checkpoint", "max_param_difference", "print0",
    "save_checkpoint", "setup", "sha256_of", "shard_loader", "unwrap",
]

#: What torchrun sets in every worker's environment (and a manual env:// launch must set).
LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
_CHECKPOINT = re.compile(r"^step-(\d{6,})\.pt$")
_PROG = "python -m torchprimer.distributed"


class RendezvousFailed(ConnectionError):
    """This process could not join its process group (the endpoint is down or a rank is missing)."""


@dataclass(frozen=True)
class Launch:
    """Where torchrun (or a manual launch) placed this process.

    Attributes:
        rank: this process's index among all processes, ``0 .. world_size - 1``.
        world_size: how many processes train together, on all machines.
        local_rank: index among the processes on this machine; picks the GPU.
        master_addr, master_port: the store every rank meets at to set up the group.
        restart_count: ``$TORCHELASTIC_RESTART_COUNT``: 0 on the first attempt, 1 after
            torchrun's first elastic restart, and so on.
    """

    rank: int
    world_size: int
    local_rank: int
    master_addr: str
    master_port: int
    restart_count: int = 0


def _int_var(environ: Mapping[str, str], name: str, minimum: int) -> int:
    raw = environ[name]
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"${name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"${name} must be >= {minimum}, got {value}")
    return value


def launch_from_env(environ: Mapping[str, str] | None = None) -> Launch | None:
    """Reads torchrun's variables; ``None`` when this process was not launched by it.

    A partial or inconsistent set is an error, not a silent single-process run: half a
    launch is a broken launch script.

    >>> launch_from_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1",
    ...                  "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"})
    Launch(rank=1, world_size=2, local_rank=1, master_addr='127.0.0.1', master_port=29500, restart_count=0)
    >>> launch_from_env({"RANK": "0"})
    Traceback (most recent call last):
    ...
    ValueError: $RANK is set but $WORLD_SIZE, $LOCAL_RANK, $MASTER_ADDR, $MASTER_PORT are not; launch with torchrun or set all five
    """
    environ = os.environ if environ is None else environ
    present = [name for name in LAUNCH_VARS if name in environ]
    if not present:
        return None
    missing = [name for name in LAUNCH_VARS if name not in environ]
    if missing:
        raise ValueError(
            f"{', '.join('$' + n for n in present)} {'is' if len(present) == 1 else 'are'} set but "
            f"{', '.join('$' + n for n in missing)} {'is' if len(missing) == 1 else 'are'} not; "
            "launch with torchrun or set all five")
    world_size = _int_var(environ, "WORLD_SIZE", 1)
    rank = _int_var(environ, "RANK", 0)
    if rank >= world_size:
        raise ValueError(f"$RANK={rank} is out of range for $WORLD_SIZE={world_size}")
    port = _int_var(environ, "MASTER_PORT", 1)
    if port > 65535:
        raise ValueError(f"$MASTER_PORT must be a TCP port (1..65535), got {port}")
    restarts = environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    return Launch(
        rank=rank, world_size=world_size, local_rank=_int_var(environ, "LOCAL_RANK", 0),
        master_addr=environ["MASTER_ADDR"], master_port=port,
        restart_count=int(restarts) if restarts.isdigit() else 0)


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
            raise ValueError(f"local rank {local_rank} has no GPU: only {torch.cuda.device_count()} "
                             "visible; --nproc_per_node must not exceed the GPUs per machine")
        return torch.device("cuda", local_rank)
    if device != "cpu":
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    return torch.device("cpu")


def setup(*, device: str = "auto", timeout: float = 300.0,
          environ: Mapping[str, str] | None = None) -> Context:
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
    launch = launch_from_env(environ)
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
        dist.init_process_group(backend, timeout=timedelta(seconds=timeout),
                                device_id=dev if dev.type == "cuda" else None)
    except (dist.DistError, TimeoutError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise RendezvousFailed(
            f"rank {launch.rank} of {launch.world_size} could not join the process group at "
            f"{launch.master_addr}:{launch.master_port} (timeout {timeout:g} s): {first}") from None
    finally:
        if environ is not None:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return Context(rank=launch.rank, world_size=launch.world_size, local_rank=launch.local_rank,
                   backend=backend, device=dev, restart_count=launch.restart_count)


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


def shard_loader(dataset: Dataset, batch_size: int, ctx: Context, *, seed: int = 0,
                 shuffle: bool = True, drop_last: bool = True) -> DataLoader:
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
    sampler = DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank,
                                 shuffle=shuffle, seed=seed, drop_last=drop_last)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=drop_last)
    if len(loader) == 0:
        raise ValueError(f"{len(dataset)} samples give no full batch of {batch_size} on each of "
                         f"{ctx.world_size} ranks; lower the batch size")
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


# ---------------------------------------------------------------------------------------
# Checkpoints: rank 0 writes, atomically, with a SHA-256 sidecar; every rank reads.


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
        raise FileNotFoundError(f"checkpoint directory {folder} does not exist; "
                                f"create it first (mkdir -p {folder})")
    if not folder.is_dir():
        raise NotADirectoryError(f"checkpoint directory {folder} is a file, not a directory")
    return folder


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(target: Path, write) -> None:
    # A crash mid-write leaves a stray temporary file, never a half-written target:
    # os.replace is atomic on one filesystem, and the temporary file sits beside the
    # target. os.open with 0o666 lets the umask set the mode, as open() would.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def save_checkpoint(directory: str | os.PathLike[str], step: int, state: Mapping[str, Any],
                    ctx: Context, *, keep: int = 2) -> Path | None:
    """Rank 0 writes ``state`` to ``directory/step-<step>.pt``; every rank waits for it.

    The file is written to a temporary name and renamed, then its SHA-256 is written
    beside it (``step-<step>.pt.sha256``, the format ``sha256sum -c`` reads). The
    sidecar comes last, so a checkpoint without one was interrupted and
    :func:`latest_checkpoint` ignores it. Older checkpoints beyond the newest ``keep``
    are removed. Returns the path on rank 0, ``None`` on the others.

    >>> import tempfile, torch
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_checkpoint(folder, 7, {"w": torch.ones(2)}, Context())
    ...     print(path.name, latest_checkpoint(folder) == path, load_checkpoint(path)["w"])
    step-000007.pt True tensor([1., 1.])
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    folder = checkpoint_dir(directory)
    path = folder / f"step-{step:06d}.pt"
    if ctx.is_main:
        _write_atomically(path, lambda handle: torch.save(dict(state), handle))
        line = f"{sha256_of(path)}  {path.name}\n".encode()
        _write_atomically(_sidecar(path), lambda handle: handle.write(line))
        for old in _checkpoints(folder)[:-keep]:
            _sidecar(old).unlink(missing_ok=True)  # sidecar first: never a sidecar without its file
            old.unlink(missing_ok=True)
    if ctx.distributed:
        dist.barrier()  # nobody reads or crashes past a checkpoint rank 0 is still writing
    return path if ctx.is_main else None


def _checkpoints(folder: Path) -> list[Path]:
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := _CHECKPOINT.match(p.name)) and _sidecar(p).is_file()]
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | os.PathLike[str]) -> Path | None:
    """The complete checkpoint (file and sidecar) with the highest step, or ``None``."""
    found = _checkpoints(checkpoint_dir(directory))
    return found[-1] if found else None


def load_checkpoint(path: str | os.PathLike[str], *, map_location: Any = "cpu") -> dict[str, Any]:
    """Loads a checkpoint after checking its bytes against the SHA-256 sidecar.

    ``torch.load(..., weights_only=True)`` unpickles tensors, numbers, strings and
    containers only, so a tampered file cannot run code; the checksum catches a
    truncated or corrupted one with an error that names it.

    Raises:
        FileNotFoundError: the file or its ``.sha256`` sidecar is missing.
        ValueError: the bytes do not match the sidecar.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    sidecar = _sidecar(path)
    if not sidecar.is_file():
        raise FileNotFoundError(f"checkpoint {path} has no {sidecar.name}; it may be incomplete")
    expected = sidecar.read_text().split()[0] if sidecar.read_text().split() else ""
    actual = sha256_of(path)
    if actual != expected:
        raise ValueError(f"checkpoint {path} is corrupt: SHA-256 {actual[:12]}... "
                         f"but {sidecar.name} says {expected[:12] or '(empty)'}...")
    return torch.load(path, map_location=map_location, weights_only=True)


def exit_with_input_error(prog: str, err: BaseException | str, *,
                          environ: Mapping[str, str] | None = None) -> NoReturn:
    """Reports ``<prog>: error: <err>`` once and exits with status 2: the input needs fixing.

    As a plain script the line goes to stderr. Under torchrun every rank runs the same
    checks and would print the same line N times, so instead each writes it to the
    error file torchrun gives it (``$TORCHELASTIC_ERROR_FILE``): torchrun's failure
    report shows the first rank's message once, and :func:`launch` prints just that line.

    >>> exit_with_input_error("demo.py", "--epochs must be >= 1", environ={})
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    environ = os.environ if environ is None else environ
    line = f"{prog}: error: {err}"
    error_file = environ.get("TORCHELASTIC_ERROR_FILE")
    if error_file:
        Path(error_file).write_text(json.dumps({"message": line, "timestamp": int(time.time())}))
    else:
        print(line, file=sys.stderr, flush=True)
    raise SystemExit(2)


class ArgumentParser(argparse.ArgumentParser):
    """An ``argparse`` parser for scripts torchrun starts N times: an error is reported
    once, not once per rank (see :func:`exit_with_input_error`), with exit status 2."""

    def error(self, message: str) -> NoReturn:
        exit_with_input_error(self.prog, f"{message} (see --help)")


# ---------------------------------------------------------------------------------------
# python -m torchprimer.distributed: torchrun with its arguments checked first.

_DEVICE_WORDS = ("auto", "cpu", "gpu", "xpu")


def check_nproc_per_node(value: str) -> str:
    """``value`` if torchrun can use it as ``--nproc_per_node``: a count >= 1 or a device word.

    torchrun itself answers ``0`` with a bare ``AssertionError`` and ``two`` with a
    two-exception traceback.

    >>> check_nproc_per_node("2"), check_nproc_per_node("auto")
    ('2', 'auto')
    >>> check_nproc_per_node("0")
    Traceback (most recent call last):
    ...
    ValueError: --nproc_per_node must be a whole number of processes >= 1 or one of auto, cpu, gpu, xpu; got '0'
    """
    text = str(value).strip()
    if text in _DEVICE_WORDS or (text.isdigit() and int(text) >= 1):
        return text
    raise ValueError("--nproc_per_node must be a whole number of processes >= 1 or one of "
                     f"{', '.join(_DEVICE_WORDS)}; got {value!r}")


def check_nnodes(value: str) -> str:
    """``value`` if it is a node count ``N`` or an elastic range ``MIN:MAX`` (1 <= MIN <= MAX).

    >>> check_nnodes("1:2")
    '1:2'
    >>> check_nnodes("two")
    Traceback (most recent call last):
    ...
    ValueError: --nnodes must be N or MIN:MAX with 1 <= MIN <= MAX; got 'two'
    """
    parts = str(value).strip().split(":")
    if 1 <= len(parts) <= 2 and all(p.isdigit() for p in parts):
        low, high = int(parts[0]), int(parts[-1])
        if 1 <= low <= high:
            return str(value).strip()
    raise ValueError(f"--nnodes must be N or MIN:MAX with 1 <= MIN <= MAX; got {value!r}")


class _QuietElastic(logging.Filter):
    """Drops the elastic agent's warnings and errors: on a failure they restate, in a
    traceback and a report, what :func:`launch` prints in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno >= logging.WARNING
                    and record.name.startswith("torch.distributed.elastic"))


def _first_line(err: BaseException) -> str:
    # Rendezvous errors say "see inner exception"; the inner one says what happened.
    seen = err
    while seen.__cause__ is not None:
        seen = seen.__cause__
    text = str(seen).strip() or type(seen).__name__
    return text.splitlines()[0]


def launch(argv: Sequence[str] | None = None) -> int:
    """``torchrun`` with its arguments checked and its failures summarised; returns the exit status.

    Takes exactly torchrun's arguments (``python -m torchprimer.distributed --help``).
    Before starting anything it checks ``--nproc_per_node``, ``--nnodes`` and that the
    script exists. A failed job is then one line on stderr instead of torchrun's
    traceback and report: the script's own message when the first rank to fail exited
    with status 2 after :func:`exit_with_input_error` (bad input), otherwise which rank
    failed and how. With ``--max-restarts`` above 0 it sets
    ``TORCH_DISABLE_SHARE_RDZV_TCP_STORE=1`` unless it is set: see the comment in the
    code. Set ``LOGLEVEL=INFO`` to see torchrun's own logs in full.

    Exit status: 0 success, 2 bad input, 1 a failed job or rendezvous.
    """
    from torch.distributed import run as torchrun
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.elastic.rendezvous.api import RendezvousError

    parser = torchrun.get_args_parser()
    parser.prog = _PROG
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        check_nproc_per_node(args.nproc_per_node)
        check_nnodes(args.nnodes)
        if not (args.module or args.no_python) and not Path(args.training_script).is_file():
            raise FileNotFoundError(f"training script {args.training_script} does not exist")
    except (ValueError, FileNotFoundError) as err:
        print(f"{_PROG}: error: {err}", file=sys.stderr)
        return 2

    if args.max_restarts > 0:
        # torch >= 2.5 shares the rendezvous TCPStore with the workers, and the keys of a
        # failed attempt stay in it: a restarted gloo/NCCL rank can read a dead peer's
        # address and fail (pytorch/pytorch#135712, #167288). A fresh store per attempt:
        os.environ.setdefault("TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "1")
    handlers = {h for name in ("torch", "torch.distributed") for h in logging.getLogger(name).handlers}
    if logging.lastResort is not None:
        handlers.add(logging.lastResort)
    quiet = _QuietElastic()
    if "LOGLEVEL" not in os.environ:
        for handler in handlers:
            handler.addFilter(quiet)
    endpoint = "a local store" if args.standalone else (args.rdzv_endpoint
                                                         or f"{args.master_addr}:{args.master_port}")
    try:
        torchrun.run(args)
    except ChildFailedError as err:
        rank, failure = err.get_first_failure()
        message = failure.message if isinstance(failure.message, str) else failure.message.get("message", "")
        if failure.exitcode == 2 and message and failure.error_file_data.get("message"):
            print(message, file=sys.stderr)  # the script's own one-line verdict on its input
            return 2
        how = (f"was killed by {failure.signal_name()}" if failure.exitcode < 0
               else f"exited with status {failure.exitcode}")
        others = len(err.failures) - 1
        print(f"{_PROG}: error: {args.training_script} failed: rank {rank} {how}"
              + (f" (and {others} more rank{'s' if others > 1 else ''})" if others else "")
              + "; its own output is above", file=sys.stderr)
        return 1
    except (RendezvousError, dist.DistError, TimeoutError) as err:
        print(f"{_PROG}: error: rendezvous at {endpoint} failed: {_first_line(err)}", file=sys.stderr)
        return 1
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)
    return 0


def main() -> NoReturn:
    """Entry point of ``python -m torchprimer.distributed``."""
    raise SystemExit(launch())


if __name__ == "__main__":
    main()
