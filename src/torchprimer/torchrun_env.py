"""What torchrun tells each process it starts: its rank, the world size and where to meet.

torchrun (and a manual ``env://`` launch) sets five variables in every worker;
:func:`read_torchrun_env` reads them, checks them, and returns ``None`` outside torchrun.

>>> read_torchrun_env({}) is None
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["LAUNCH_VARS", "TorchrunEnv", "read_torchrun_env"]

#: What torchrun sets in every worker's environment (and a manual env:// launch must set).
LAUNCH_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class TorchrunEnv:
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


def read_torchrun_env(environ: Mapping[str, str] | None = None) -> TorchrunEnv | None:
    """Reads torchrun's variables; ``None`` when this process was not launched by it.

    A partial or inconsistent set is an error, not a silent single-process run: half a
    launch is a broken launch script.

    >>> read_torchrun_env({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1",
    ...                  "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"})
    TorchrunEnv(rank=1, world_size=2, local_rank=1, master_addr='127.0.0.1', master_port=29500, restart_count=0)
    >>> read_torchrun_env({"RANK": "0"})
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
            "launch with torchrun or set all five"
        )
    world_size = _int_var(environ, "WORLD_SIZE", 1)
    rank = _int_var(environ, "RANK", 0)
    if rank >= world_size:
        raise ValueError(f"$RANK={rank} is out of range for $WORLD_SIZE={world_size}")
    port = _int_var(environ, "MASTER_PORT", 1)
    if port > 65535:
        raise ValueError(f"$MASTER_PORT must be a TCP port (1..65535), got {port}")
    restarts = environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    return TorchrunEnv(
        rank=rank,
        world_size=world_size,
        local_rank=_int_var(environ, "LOCAL_RANK", 0),
        master_addr=environ["MASTER_ADDR"],
        master_port=port,
        restart_count=int(restarts) if restarts.isdigit() else 0,
    )
