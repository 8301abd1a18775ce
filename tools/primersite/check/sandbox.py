"""Where and how a page's process runs, in one class: its interpreter flags, its
environment, and the files of the capture folder through which its parent talks to it.

The runner, the page's own process, the pre-imported parent and the GPU recorder all read
them from here. Standard library only: the page's process starts where only the standard
library and the page's own packages are installed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


class _File:
    """A file of the capture folder: ``box.stdout`` is ``box.folder / "stdout"``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, box, owner=None):
        return self if box is None else box.folder / self.name


@dataclass(frozen=True)
class Sandbox:
    """One run's capture folder, and the settings every page's process runs with."""

    folder: Path

    #: DeprecationWarning, FutureWarning and UserWarning are errors: pages use current APIs.
    WARNINGS_AS_ERRORS: ClassVar[tuple[type[Warning], ...]] = (
        DeprecationWarning,
        FutureWarning,
        UserWarning,
    )
    FLAGS: ClassVar[tuple[str, ...]] = tuple(
        arg for w in WARNINGS_AS_ERRORS for arg in ("-W", f"error::{w.__name__}")
    )
    #: Caches kept across runs (matplotlib's font list).
    STATE: ClassVar[Path] = Path(tempfile.gettempdir()) / "primersite-state"

    # the capture files: the parent's request (the blocks, the script and its folder), the
    # progress (one JSON event a line: each statement's start and end, an error, the end),
    # fds 1 and 2, the files opened for writing where a page may not write, the limit in
    # seconds (present when the parent ended the run for taking too long), the submodules a
    # script reached without importing them, and the process's own TMPDIR
    request = _File("request.json")
    progress = _File("progress.jsonl")
    stdout = _File("stdout")
    stderr = _File("stderr")
    writes = _File("writes.log")
    timeout = _File("timeout")
    undeclared = _File("undeclared.json")
    tmp = _File("tmp")

    def env(self) -> dict[str, str]:
        """The environment a page runs in: the caller's, plus a private temporary folder."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.STATE.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            "MPLBACKEND": "Agg",
            "PYTHONHASHSEED": "0",
            "TMPDIR": str(self.tmp),
            "MPLCONFIGDIR": str(self.STATE / "matplotlib"),
            "PYTHONDONTWRITEBYTECODE": "1",
            # idle OpenMP threads sleep instead of spinning: the same results, but pages running
            # side by side on few cores no longer slow a small model's training tenfold
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "passive"),
        }

    def text(self, path: Path) -> str:
        """A capture file's text ('' when the process never wrote it)."""
        return path.read_text("utf-8", "replace") if path.exists() else ""
