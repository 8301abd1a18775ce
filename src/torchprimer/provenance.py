"""The provenance stamp of a rendered example: where, when and with what it ran.

:func:`collect` runs *inside* the notebook kernel at the end of a render, so every
field describes the process that produced the outputs (not the process that
asked for the render). :func:`stamp_markdown` turns it into the cell shown at the
top of the page.

>>> stamp = {"device": "CPU: Example CPU (2 cores)", "gpu": None, "cpu": "Example CPU",
...          "torch": "2.14.1", "torchvision": "0.29.1", "cuda": None, "python": "3.11.9",
...          "date_utc": "2026-01-02 03:04 UTC", "wall_s": 75.4, "commit": "0123abcd4567",
...          "argv": ["--smoke"]}
>>> print(format_duration(stamp["wall_s"]))
1 min 15 s
>>> "| device | CPU: Example CPU (2 cores) |" in stamp_markdown(stamp, "demo")
True
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

#: Where a render without git (the GPU machine gets a copy of the tree) finds the commit.
COMMIT_ENV = "TORCHPRIMER_GIT_COMMIT"
#: The paths whose uncommitted changes make a stamp's commit "+dirty": the code that ran
#: (the weights a render publishes are its output, not its code).
CODE_PATHS = ("examples", "src", "hubconf.py", ":(exclude)src/torchprimer/weights")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def git_commit(root: str | os.PathLike[str] = ".") -> str:
    """``<commit>`` or ``<commit>+dirty`` (uncommitted changes under CODE_PATHS), from git or $TORCHPRIMER_GIT_COMMIT."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--", *CODE_PATHS)
    except (OSError, subprocess.SubprocessError):
        return os.environ.get(COMMIT_ENV, "unknown (no git repository)")
    return commit + ("+dirty" if dirty else "")


def collect(wall_s: float, argv: list[str] | None = None, root: str | os.PathLike[str] = ".") -> dict[str, Any]:
    """Everything the stamp shows, measured in the calling process."""
    import torch
    import torchvision

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    cpu = cpu_model()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "device": f"GPU: {gpu}" if gpu else f"CPU: {cpu} ({cores} cores)",
        "gpu": gpu,
        "cpu": cpu,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_s": round(float(wall_s), 1),
        "commit": git_commit(root),
        "argv": list(argv or []),
    }


def format_duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s`` or ``1 h 2 min``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def stamp_markdown(stamp: dict[str, Any], name: str) -> str:
    """The markdown cell at the top of a rendered example: the stamp and the download links."""
    if stamp["gpu"]:
        cuda = f"CUDA {stamp['cuda']}"
    else:
        built = f" (this torch is built for CUDA {stamp['cuda']})" if stamp["cuda"] else ""
        cuda = f"not used: no GPU{built}"
    args = " ".join(stamp["argv"]) or "(none)"
    rows = [
        ("device", stamp["device"] if stamp["gpu"] is None else f"{stamp['device']} (CPU: {stamp['cpu']})"),
        ("torch", stamp["torch"]),
        ("torchvision", stamp["torchvision"]),
        ("CUDA", cuda),
        ("Python", stamp["python"]),
        ("date", stamp["date_utc"]),
        ("wall time", format_duration(stamp["wall_s"])),
        ("git commit", f"`{stamp['commit']}`"),
        ("arguments", f"`{args}`"),
    ]
    table = "\n".join(f"| {key} | {value} |" for key, value in rows)
    return (
        f"**Provenance.** Every output on this page was produced by running `examples/{name}.py` "
        f"top to bottom with `python -m torchprimer.render {name}`; nothing was edited afterwards.\n\n"
        f"| run | |\n| --- | --- |\n{table}\n\n"
        f"Download: [{name}.py](../{name}.py) (the script) · [{name}.ipynb]({name}.ipynb) "
        "(this notebook, with its outputs)"
    )
