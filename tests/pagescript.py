"""Run a page as a reader would: all its python blocks, in order, in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from doccheck import page_script

WARNING_FLAGS = [
    "-W", "error::DeprecationWarning",
    "-W", "error::FutureWarning",
    "-W", "error::UserWarning",
]


@dataclass
class ScriptResult:
    returncode: int
    stdout: str
    stderr: str
    expected: str  # what the page's #> lines promise, in order


def run_page_script(page: Path, timeout: float = 300) -> ScriptResult:
    script, expected = page_script(page.read_text(encoding="utf-8"))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, *WARNING_FLAGS, "-c", script],
        capture_output=True, text=True, timeout=timeout, cwd=page.parent, env=env,
    )
    return ScriptResult(proc.returncode, proc.stdout, proc.stderr, expected)
