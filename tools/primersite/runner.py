"""Run a page once, as a reader's script, and keep what each statement printed.

The page's python blocks (those that run) are written, in order, to ``<stem>.py`` in a new
empty folder, and run there in a child process, top to bottom, as ``__main__``: exactly
what a reader gets who copies every block into one file and runs it. The child executes
one top-level statement at a time and notes, after each, how far the captured stdout
(file descriptor 1, so C libraries and worker processes count too) has grown. One run
thus gives both verdicts the checker needs: each statement's output against its ``#>``
lines, and the whole script's output, exit and warnings.

The child (:mod:`primersite.child`) runs with ``-W error`` for DeprecationWarning, FutureWarning and UserWarning,
``MPLBACKEND=Agg``, ``PYTHONHASHSEED=0`` and its own temporary folder (these settings live
in :mod:`primersite.sandbox`), and an audit hook
records every file it opens for writing outside its folder, its temporary folder and the
usual caches: a page may not write into the repository or anywhere else behind the
reader's back.

:class:`~primersite.zygote.Zygote` keeps one child that has imported torch and the packages pages use most
(:mod:`primersite.preload`), and forks a fresh process from it per page: those imports are
paid once per test worker, each page still starts from an empty namespace in a process of
its own, and a page that reaches a preloaded submodule it never imported is refused.

This module imports only the standard library (a page is read elsewhere): the GPU recorder
(:mod:`primersite.gpu_blocks`) runs blocks with it on machines without the site's packages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from primersite.sandbox import WARNING_FLAGS, Capture, child_env

if TYPE_CHECKING:
    from primersite.pages import Page
    from primersite.zygote import Zygote


@dataclass
class Statement:
    block: int  # index among the blocks that ran
    line: int  # page line of the statement's first and last line
    end_line: int
    output: str


@dataclass
class PageRun:
    """What one run of a page did."""

    statements: list[Statement] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    # {"line", "type", "message", "traceback"} of the statement that raised
    error: dict | None = None
    returncode: int = 0  # 0: ran to the end; otherwise the script's exit status or -signal
    ended_early: str | None = None  # why the run stopped before the last statement
    # files opened for writing where a page may not write
    writes: list[str] = field(default_factory=list)
    # what the run left in its folder, by relative path
    files: dict[str, bytes] = field(default_factory=dict)
    # submodules the page reached without importing them (see primersite.preload)
    undeclared: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.ended_early is None and self.returncode == 0


def run_page(
    page: Page,
    stem: str,
    *,
    environ: dict[str, str] | None = None,
    timeout: float = 600,
    zygote: Zygote | None = None,
) -> PageRun:
    """Run ``page`` once in a new empty folder; return what it printed, raised and left behind."""
    environ = dict(os.environ if environ is None else environ)
    blocks = [{"line": b.line, "source": b.source} for b in page.runs(environ)]
    return run_blocks(blocks, stem, timeout=timeout, zygote=zygote)


def run_blocks(
    blocks: list[dict], stem: str, *, timeout: float = 600, zygote: Zygote | None = None
) -> PageRun:
    """Run ``blocks`` (``{"line", "source"}``: the line a block's body follows, its code) as
    one script in a new empty folder; return what it printed, raised and left behind."""
    with tempfile.TemporaryDirectory(prefix=f"page-{stem}-") as tmp:
        run_dir, capture = Path(tmp) / "run", Path(tmp) / "capture"
        run_dir.mkdir()
        capture.mkdir()
        # "<stem>_page.py": a page called multiprocessing.md must not shadow the module it teaches
        script = run_dir / (stem.replace("-", "_") + "_page.py")
        # the page as a reader's script (primersite.pages.page_script): its blocks, in order
        script.write_text("\n".join(b["source"] for b in blocks) + "\n", encoding="utf-8")
        request = {"blocks": blocks, "script": str(script), "run_dir": str(run_dir)}
        (capture / Capture.REQUEST).write_text(json.dumps(request))
        started = time.perf_counter()
        if zygote is not None:
            returncode = zygote.run(capture, timeout)
        else:
            returncode = _spawn(capture, timeout)
        run = _collect(capture, run_dir, returncode, script)
        run.seconds = time.perf_counter() - started
        return run


def _spawn(capture: Path, timeout: float) -> int:
    """Run the request in ``capture`` in a new interpreter; its exit status (or -SIGKILL)."""
    cmd = [sys.executable, *WARNING_FLAGS, "-m", "primersite.child", str(capture)]
    with open(capture / Capture.STDOUT, "wb") as out, open(capture / Capture.STDERR, "wb") as err:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            cwd=capture / "..",
            env=child_env(capture),
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            (capture / Capture.TIMEOUT).write_text(str(timeout))
            return -signal.SIGKILL


def _text(path: Path) -> str:
    return path.read_text("utf-8", "replace") if path.exists() else ""


def _read_events(run: PageRun, capture: Path, stdout: bytes) -> tuple[dict | None, bool]:
    """Fill ``run`` from the progress events; return the last statement started and whether
    the run reached its end."""
    last_started, done = None, False
    for line in _text(capture / Capture.PROGRESS).splitlines():
        event = json.loads(line)
        if event["event"] == "start":
            last_started = event
        elif event["event"] == "done":
            out = stdout[event["out_from"] : event["out_to"]].decode("utf-8", "replace")
            run.statements.append(Statement(event["block"], event["line"], event["end_line"], out))
        elif event["event"] == "error":
            run.error = event
        elif event["event"] == "undeclared":
            run.undeclared = event["modules"]
        elif event["event"] == "end":
            done = True
    return last_started, done


def _collect(capture: Path, run_dir: Path, returncode: int, script: Path) -> PageRun:
    stdout = (capture / Capture.STDOUT).read_bytes() if (capture / Capture.STDOUT).exists() else b""
    run = PageRun(
        stdout=stdout.decode("utf-8", "replace"),
        returncode=returncode,
        stderr=_text(capture / Capture.STDERR),
    )
    last_started, done = _read_events(run, capture, stdout)
    run.writes = sorted(set(_text(capture / Capture.WRITES).splitlines()))
    if (capture / Capture.TIMEOUT).exists():
        where = f" (line {last_started['line']} was running)" if last_started else ""
        run.ended_early = f"timed out after {_text(capture / Capture.TIMEOUT)} s{where}"
    elif not done and run.error is None:
        where = (
            f" during the statement at line {last_started['line']}"
            if last_started
            else " before the first statement"
        )
        run.ended_early = f"the process ended (exit status {returncode}){where}"
    for path in sorted(run_dir.rglob("*")):
        if path.is_file() and path != script and path.stat().st_size <= 20_000_000:
            run.files[path.relative_to(run_dir).as_posix()] = path.read_bytes()
    return run
