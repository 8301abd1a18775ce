"""The settings a page's process runs with, in one place: its interpreter flags, its
environment, and the files of the capture folder through which its parent talks to it.

The runner (:mod:`primersite.runner`), the page's own process (:mod:`primersite.child`),
the pre-imported parent (:mod:`primersite.zygote`) and the GPU recorder
(:mod:`primersite.gpu_blocks`) all read them from here. This module imports nothing but
the standard library, so the page's process can start where only the standard library
and the page's own packages are installed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: DeprecationWarning, FutureWarning and UserWarning are errors: pages use current APIs.
WARNING_FLAGS = [
    "-W",
    "error::DeprecationWarning",
    "-W",
    "error::FutureWarning",
    "-W",
    "error::UserWarning",
]
#: Caches kept across runs (matplotlib's font list).
STATE = Path(tempfile.gettempdir()) / "primersite-state"


class Capture:
    """The names of the files in a capture folder (one per run of a page or a script)."""

    #: the parent's request: the blocks to run, the script's path and its folder
    REQUEST = "request.json"
    #: one JSON event a line: each statement's start and end, an error, the end of the run
    PROGRESS = "progress.jsonl"
    #: file descriptors 1 and 2 of the page's process
    STDOUT = "stdout"
    STDERR = "stderr"
    #: files the page opened for writing where a page may not write
    WRITES = "writes.log"
    #: present when the parent ended the run for taking too long; holds the limit in seconds
    TIMEOUT = "timeout"
    #: submodules a script reached without importing them (scripts run by the zygote)
    UNDECLARED = "undeclared.json"
    #: the private temporary folder (TMPDIR) of the page's process
    TMP = "tmp"


def child_env(capture: Path) -> dict[str, str]:
    """The environment a page runs in: the caller's, plus a private temporary folder."""
    (capture / Capture.TMP).mkdir(parents=True, exist_ok=True)
    STATE.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "TMPDIR": str(capture / Capture.TMP),
        "MPLCONFIGDIR": str(STATE / "matplotlib"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # idle OpenMP threads sleep instead of spinning: the same results, but pages running
        # side by side on few cores no longer slow a small model's training tenfold
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "passive"),
    }
