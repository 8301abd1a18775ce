"""``python -m torchprimer.checked_torchrun``: torchrun with its arguments checked and its failures in one line.

It takes exactly torchrun's arguments. Before starting anything it checks the ones
torchrun reports badly (``--nproc_per_node=0`` is a bare ``AssertionError`` there, an
unknown rendezvous host a timeout minutes later) and that the script exists; a failed job
is then one line on stderr instead of torchrun's traceback and report.

>>> check_nproc_per_node("2")
'2'
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # The launcher's own failed connection attempts are logged by torch's C++ side, with
    # stack frames, before the Python error run_torchrun() reports in one line. c10 reads its
    # log level once, when torch loads; the variable is removed again right after, so
    # the training processes torchrun starts log as usual.
    _QUIET_CPP = "TORCH_CPP_LOG_LEVEL" not in os.environ
    if _QUIET_CPP:
        os.environ["TORCH_CPP_LOG_LEVEL"] = "FATAL"

import contextlib  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import torch.distributed as dist  # noqa: E402

if __name__ == "__main__" and _QUIET_CPP:
    del os.environ["TORCH_CPP_LOG_LEVEL"]

_PROG = "python -m torchprimer.checked_torchrun"
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
    raise ValueError(
        "--nproc_per_node must be a whole number of processes >= 1 or one of "
        f"{', '.join(_DEVICE_WORDS)}; got {value!r}"
    )


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
    traceback and a report, what :func:`run_torchrun` prints in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno >= logging.WARNING
            and record.name.startswith("torch.distributed.elastic")
        )


def _first_line(err: BaseException) -> str:
    # Rendezvous errors say "see inner exception"; the inner one says what happened.
    seen = err
    while seen.__cause__ is not None:
        seen = seen.__cause__
    text = str(seen).strip() or type(seen).__name__
    return text.splitlines()[0]


def check_host(endpoint: str) -> str:
    """``endpoint`` (``HOST`` or ``HOST:PORT``) if its host name resolves; ValueError naming it at once otherwise.

    torchrun would retry an unknown host for minutes and then report a timeout.

    >>> check_host("127.0.0.1:29500")
    '127.0.0.1:29500'
    >>> check_host("no-such-host.invalid:29400")
    Traceback (most recent call last):
    ...
    ValueError: cannot resolve the rendezvous host 'no-such-host.invalid': check the name in --rdzv-endpoint / --master-addr
    """
    host = endpoint.rsplit(":", 1)[0] if endpoint.count(":") == 1 else endpoint
    host = host.strip("[]")
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise ValueError(
            f"cannot resolve the rendezvous host {host!r}: check the name in --rdzv-endpoint / "
            "--master-addr"
        ) from None
    return endpoint


def run_torchrun(argv: Sequence[str] | None = None) -> int:
    """``torchrun`` with its arguments checked and its failures summarised; returns the exit status.

    Takes exactly torchrun's arguments (``python -m torchprimer.checked_torchrun --help``).
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
    endpoint = (
        "a local store"
        if args.standalone
        else (args.rdzv_endpoint or f"{args.master_addr}:{args.master_port}")
    )
    try:
        _check_args(args, endpoint)
    except (ValueError, FileNotFoundError) as err:
        print(f"{_PROG}: error: {err}", file=sys.stderr)
        return 2

    if args.max_restarts > 0:
        # torch >= 2.5 shares the rendezvous TCPStore with the workers, and the keys of a
        # failed attempt stay in it: a restarted gloo/NCCL rank can read a dead peer's
        # address and fail (pytorch/pytorch#135712, #167288). A fresh store per attempt:
        os.environ.setdefault("TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "1")
    if "OMP_NUM_THREADS" not in os.environ and args.nproc_per_node != "1":
        # what torchrun does for several processes per machine, without its multi-line warning
        os.environ["OMP_NUM_THREADS"] = "1"
    with _quiet_elastic_logs():
        try:
            torchrun.run(args)
        except ChildFailedError as err:
            return _report_failed_job(err, args.training_script)
        except (RendezvousError, dist.DistError, TimeoutError) as err:
            print(
                f"{_PROG}: error: rendezvous at {endpoint} failed: {_first_line(err)}",
                file=sys.stderr,
            )
            return 1
    return 0


def _check_args(args: Any, endpoint: str) -> None:
    check_nproc_per_node(args.nproc_per_node)
    check_nnodes(args.nnodes)
    if not args.standalone:
        check_host(endpoint)
    if not (args.module or args.no_python) and not Path(args.training_script).is_file():
        raise FileNotFoundError(f"training script {args.training_script} does not exist")


@contextlib.contextmanager
def _quiet_elastic_logs() -> Iterator[None]:
    """Filters the elastic agent's warnings out of torch's log handlers, unless ``$LOGLEVEL`` is set."""
    handlers = {
        h for name in ("torch", "torch.distributed") for h in logging.getLogger(name).handlers
    }
    if logging.lastResort is not None:
        handlers.add(logging.lastResort)
    quiet = _QuietElastic()
    if "LOGLEVEL" not in os.environ:
        for handler in handlers:
            handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def _wrote_error_file(failure: Any) -> bool:
    """Whether a failed rank left torchrun an error file (torch records "<N/A>" when not)."""
    return failure.error_file != "<N/A>"


def _report_failed_job(err: Any, script: str) -> int:
    """Prints one line for a failed job; returns its exit status (2 when a rank said bad input)."""
    # The rank that failed by itself, not one the agent then stopped: when every rank rejects
    # its input, the first to exit gets the others killed by SIGTERM, and torch's "first
    # failure" (the earliest timestamp, in whole seconds) may name a killed one.
    own = [(r, f) for r, f in err.failures.items() if f.exitcode >= 0 and _wrote_error_file(f)]
    rank, failure = min(own, key=lambda rf: rf[1].timestamp) if own else err.get_first_failure()
    message = (
        failure.message if isinstance(failure.message, str) else failure.message.get("message", "")
    )
    if failure.exitcode == 2 and message and _wrote_error_file(failure):
        print(message, file=sys.stderr)  # the script's own one-line verdict on its input
        return 2
    how = (
        f"was killed by {failure.signal_name()}"
        if failure.exitcode < 0
        else f"exited with status {failure.exitcode}"
    )
    others = len(err.failures) - 1
    print(
        f"{_PROG}: error: {script} failed: rank {rank} {how}"
        + (f" (and {others} more rank{'s' if others > 1 else ''})" if others else "")
        + "; its own output is above",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(run_torchrun())
