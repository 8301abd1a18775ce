"""Run a page once, as a reader's script, and keep what each statement printed.

The blocks that run (a page's :class:`~primersite.check.page.Plan`) are written, in order,
to ``<stem>_page.py`` in a new empty folder, and run there in a child process, top to
bottom, as ``__main__``: exactly what a reader gets who copies every block into one file
and runs it. The child (:mod:`primersite.check.child`) executes one top-level statement at
a time and notes, after each, how far the captured stdout (file descriptor 1, so C
libraries and worker processes count too) has grown. One run thus gives both verdicts:
each statement's output against its ``#>`` lines, and the whole script's output, exit and
warnings.

The child runs with the sandbox's flags and environment (:mod:`primersite.check.sandbox`),
and an audit hook records every file it opens for writing outside its folder, its
temporary folder and the usual caches: a page may not write into the repository or
anywhere else behind the reader's back. With a :class:`~primersite.check.zygote.Zygote`
the child is a fork of a process that has imported torch already; a page that reaches a
preloaded submodule it never imported is then refused (:mod:`primersite.check.preload`).

Standard library only (a page is read elsewhere): the GPU recorder runs blocks with it on
machines without the site's packages.
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

from primersite.check.sandbox import Sandbox

if TYPE_CHECKING:
    from primersite.check.zygote import Zygote


@dataclass(frozen=True)
class Printed:
    """What one top-level statement printed."""

    block: int  # index among the blocks that ran
    line: int  # page line of the statement's first and last line
    end_line: int
    output: str


@dataclass
class PageRun:
    """What one run of a page did."""

    statements: list[Printed] = field(default_factory=list)
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
    # submodules the page reached without importing them (see primersite.check.preload)
    undeclared: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.ended_early is None and self.returncode == 0

    def printed_by(self, index: int) -> dict[int, Printed]:
        """What the statements of the ``index``-th block that ran printed, by first line."""
        return {s.line: s for s in self.statements if s.block == index}

    def why_stopped(self) -> str:
        """Why the run did not reach every statement, in a few words."""
        if self.ended_early:
            return self.ended_early
        return f"line {self.error['line']} raised {self.error['type']}" if self.error else ""


def run_blocks(
    blocks: list[dict],
    script: str,
    stem: str,
    *,
    timeout: float = 600,
    zygote: Zygote | None = None,
) -> PageRun:
    """Run ``blocks`` (``{"line", "source"}``: the line a block's body follows, its code), which
    make up ``script``, in a new empty folder; return what it printed, raised and left behind."""
    with tempfile.TemporaryDirectory(prefix=f"page-{stem}-") as tmp:
        run_dir, box = Path(tmp) / "run", Sandbox(Path(tmp) / "capture")
        run_dir.mkdir()
        box.folder.mkdir()
        # "<stem>_page.py": a page called multiprocessing.md must not shadow the module it teaches
        path = run_dir / (stem.replace("-", "_") + "_page.py")
        path.write_text(script, encoding="utf-8")
        request = {"blocks": blocks, "script": str(path), "run_dir": str(run_dir)}
        box.request.write_text(json.dumps(request))
        started = time.perf_counter()
        if zygote is not None:
            returncode = zygote.run({"capture": str(box.folder), "env": box.env()}, timeout)
        else:
            returncode = _spawn(box, timeout)
        run = _collect(box, run_dir, returncode, path)
        run.seconds = time.perf_counter() - started
        return run


def _spawn(box: Sandbox, timeout: float) -> int:
    """Run the request in ``box`` in a new interpreter; its exit status (or -SIGKILL)."""
    cmd = [sys.executable, *Sandbox.FLAGS, "-m", "primersite.check.child", str(box.folder)]
    with open(box.stdout, "wb") as out, open(box.stderr, "wb") as err:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            cwd=box.folder.parent,
            env=box.env(),
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            box.timeout.write_text(str(timeout))
            return -signal.SIGKILL


def _read_events(run: PageRun, box: Sandbox, stdout: bytes) -> tuple[dict | None, bool]:
    """Fill ``run`` from the progress events; return the last statement started and whether
    the run reached its end."""
    last_started, done = None, False
    for line in box.text(box.progress).splitlines():
        event = json.loads(line)
        if event["event"] == "start":
            last_started = event
        elif event["event"] == "done":
            out = stdout[event["out_from"] : event["out_to"]].decode("utf-8", "replace")
            run.statements.append(Printed(event["block"], event["line"], event["end_line"], out))
        elif event["event"] == "error":
            run.error = event
        elif event["event"] == "undeclared":
            run.undeclared = event["modules"]
        elif event["event"] == "end":
            done = True
    return last_started, done


def _collect(box: Sandbox, run_dir: Path, returncode: int, script: Path) -> PageRun:
    stdout = box.stdout.read_bytes() if box.stdout.exists() else b""
    run = PageRun(
        stdout=stdout.decode("utf-8", "replace"), returncode=returncode, stderr=box.text(box.stderr)
    )
    last_started, done = _read_events(run, box, stdout)
    run.writes = sorted(set(box.text(box.writes).splitlines()))
    if box.timeout.exists():
        where = f" (line {last_started['line']} was running)" if last_started else ""
        run.ended_early = f"timed out after {box.text(box.timeout)} s{where}"
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
