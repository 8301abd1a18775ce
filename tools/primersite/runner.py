"""Run a page once, as a reader's script, and keep what each statement printed.

The page's python blocks (those that run) are written, in order, to ``<stem>.py`` in a new
empty folder, and run there in a child process, top to bottom, as ``__main__``: exactly
what a reader gets who copies every block into one file and runs it. The child executes
one top-level statement at a time and notes, after each, how far the captured stdout
(file descriptor 1, so C libraries and worker processes count too) has grown. One run
thus gives both verdicts the checker needs: each statement's output against its ``#>``
lines, and the whole script's output, exit and warnings.

The child runs with ``-W error`` for DeprecationWarning, FutureWarning and UserWarning,
``MPLBACKEND=Agg``, ``PYTHONHASHSEED=0`` and its own temporary folder, and an audit hook
records every file it opens for writing outside its folder, its temporary folder and the
usual caches: a page may not write into the repository or anywhere else behind the
reader's back.

:class:`Zygote` keeps one child that has imported torch and the packages pages use most
(:mod:`primersite.preload`), and forks a fresh process from it per page: those imports are
paid once per test worker, each page still starts from an empty namespace in a process of
its own, and a page that reaches a preloaded submodule it never imported is refused.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from primersite.pages import Page, page_script

WARNING_FLAGS = [
    "-W",
    "error::DeprecationWarning",
    "-W",
    "error::FutureWarning",
    "-W",
    "error::UserWarning",
]
# caches kept across runs (matplotlib's font list)
STATE = Path(tempfile.gettempdir()) / "primersite-state"
# in a zygote: what preloading imported, per preloaded module (primersite.preload)
_PRELOADED: dict[str, set[str]] = {}


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
    error: dict | None = (
        None  # {"line", "type", "message", "traceback"} of the statement that raised
    )
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


def _request(page: Page, environ: dict[str, str], run_dir: Path, stem: str) -> dict:
    blocks = [{"line": b.line, "source": b.source} for b in page.runs(environ)]
    script, _ = page_script(page, environ)
    # "<stem>_page.py": a page called multiprocessing.md must not shadow the module it teaches
    path = run_dir / (stem.replace("-", "_") + "_page.py")
    path.write_text(script + "\n", encoding="utf-8")
    return {"blocks": blocks, "script": str(path), "run_dir": str(run_dir)}


def child_env(capture: Path) -> dict[str, str]:
    """The environment a page runs in: the caller's, plus a private temporary folder."""
    (capture / "tmp").mkdir(parents=True, exist_ok=True)
    STATE.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "TMPDIR": str(capture / "tmp"),
        "MPLCONFIGDIR": str(STATE / "matplotlib"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # idle OpenMP threads sleep instead of spinning: the same results, but pages running
        # side by side on few cores no longer slow a small model's training tenfold
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "passive"),
    }


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
    with tempfile.TemporaryDirectory(prefix=f"page-{stem}-") as tmp:
        run_dir, capture = Path(tmp) / "run", Path(tmp) / "capture"
        run_dir.mkdir()
        capture.mkdir()
        request = _request(page, environ, run_dir, stem)
        (capture / "request.json").write_text(json.dumps(request))
        started = time.perf_counter()
        if zygote is not None:
            returncode = zygote.run(capture, timeout)
        else:
            returncode = _spawn(capture, timeout)
        run = _collect(capture, run_dir, returncode, request)
        run.seconds = time.perf_counter() - started
        return run


def _spawn(capture: Path, timeout: float) -> int:
    cmd = [sys.executable, *WARNING_FLAGS, "-m", "primersite.runner", "--child", str(capture)]
    with open(capture / "stdout", "wb") as out, open(capture / "stderr", "wb") as err:
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
            (capture / "timeout").write_text(str(timeout))
            return -signal.SIGKILL


def _collect(capture: Path, run_dir: Path, returncode: int, request: dict) -> PageRun:
    stdout = (capture / "stdout").read_bytes() if (capture / "stdout").exists() else b""
    run = PageRun(
        stdout=stdout.decode("utf-8", "replace"),
        returncode=returncode,
        stderr=(capture / "stderr").read_text("utf-8", "replace")
        if (capture / "stderr").exists()
        else "",
    )
    last_started = None
    done = False
    for line in (
        (capture / "progress.jsonl").read_text().splitlines()
        if (capture / "progress.jsonl").exists()
        else []
    ):
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
    if (capture / "writes.log").exists():
        run.writes = sorted(set((capture / "writes.log").read_text().splitlines()))
    if (capture / "timeout").exists():
        where = f" (line {last_started['line']} was running)" if last_started else ""
        run.ended_early = f"timed out after {(capture / 'timeout').read_text()} s{where}"
    elif not done and run.error is None:
        where = (
            f" during the statement at line {last_started['line']}"
            if last_started
            else " before the first statement"
        )
        run.ended_early = f"the process ended (exit status {returncode}){where}"
    script = Path(request["script"])
    for path in sorted(run_dir.rglob("*")):
        if path.is_file() and path != script and path.stat().st_size <= 20_000_000:
            run.files[path.relative_to(run_dir).as_posix()] = path.read_bytes()
    return run


# --- the child ---------------------------------------------------------------------------


def _audit_writes(log_fd: int, allowed: list[str]):
    def hook(event: str, args: tuple) -> None:
        if event != "open" or not args:
            return
        path, mode, flags = (list(args) + [None, None])[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND)
        )
        if not writing or not isinstance(path, (str, bytes, os.PathLike)):
            return
        full = os.path.abspath(os.fsdecode(path))
        if not any(full == a or full.startswith(a + os.sep) for a in allowed):
            os.write(log_fd, (full + "\n").encode())

    return hook


def _libc_flush() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except OSError:
        pass


def child(capture: Path) -> int:
    """Run the request in ``capture``: the page's statements, one at a time, as ``__main__``."""
    import traceback
    import types
    import warnings

    request = json.loads((capture / "request.json").read_text())
    run_dir, script = Path(request["run_dir"]), Path(request["script"])
    os.chdir(run_dir)
    for category in (DeprecationWarning, FutureWarning, UserWarning):
        warnings.simplefilter("error", category)
    progress = open(capture / "progress.jsonl", "a", buffering=1)
    allowed = [
        str(run_dir),
        str(capture),
        os.environ.get("MPLCONFIGDIR", str(STATE)),
        "/dev",
        os.path.expanduser("~/.cache"),
    ]
    log_fd = os.open(capture / "writes.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.addaudithook(_audit_writes(log_fd, [os.path.realpath(a) for a in allowed] + allowed))

    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    main.__builtins__ = __builtins__
    main.__spec__ = None
    sys.modules["__main__"] = main
    sys.argv = [str(script)]
    sys.path[0] = str(run_dir)

    def emit(**event) -> None:
        progress.write(json.dumps(event) + "\n")

    for index, block in enumerate(request["blocks"]):
        tree = ast.parse(block["source"], filename=str(script))
        ast.increment_lineno(
            tree, block["line"]
        )  # page lines: the body starts the line after the fence
        for stmt in tree.body:
            sys.stdout.flush()
            _libc_flush()
            start = os.fstat(1).st_size
            emit(event="start", block=index, line=stmt.lineno)
            try:
                exec(
                    compile(ast.Module(body=[stmt], type_ignores=[]), str(script), "exec"),
                    main.__dict__,
                )
            except BaseException as err:  # noqa: BLE001 - a page's error is its verdict, SystemExit included
                sys.stdout.flush()
                _libc_flush()
                emit(
                    event="done",
                    block=index,
                    line=stmt.lineno,
                    end_line=stmt.end_lineno,
                    out_from=start,
                    out_to=os.fstat(1).st_size,
                )
                lines = traceback.format_exception(type(err), err, err.__traceback__)
                emit(
                    event="error",
                    block=index,
                    line=stmt.lineno,
                    type=type(err).__name__,
                    message=str(err),
                    traceback="".join(lines[-12:]),
                )
                return 1
            sys.stdout.flush()
            _libc_flush()
            emit(
                event="done",
                block=index,
                line=stmt.lineno,
                end_line=stmt.end_lineno,
                out_from=start,
                out_to=os.fstat(1).st_size,
            )
    import atexit

    atexit._run_exitfuncs()  # what a script prints on its way out is part of its output
    sys.stdout.flush()
    _libc_flush()
    if _PRELOADED:
        from primersite.preload import undeclared_submodules

        source = script.read_text(encoding="utf-8")
        emit(
            event="undeclared", modules=undeclared_submodules(source, _PRELOADED, set(sys.modules))
        )
    emit(event="end")
    return 0


class Zygote:
    """A process that has imported torch and the packages pages use most; each page runs in
    a fresh fork of it.

    Forking copies the imported modules, not any state a page made: every page gets a new
    process, an empty ``__main__`` and its own folder.
    """

    def __init__(self) -> None:
        self._capture = Path(tempfile.mkdtemp(prefix="primersite-zygote-"))
        env = child_env(self._capture)
        self.proc = subprocess.Popen(
            [sys.executable, *WARNING_FLAGS, "-m", "primersite.runner", "--zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            start_new_session=True,
        )
        self._buffer = b""
        if self._line(time.monotonic() + 120) != "ready":
            raise RuntimeError("the page runner's zygote did not start")

    def run(self, capture: Path, timeout: float) -> int:
        env = child_env(capture)
        self.proc.stdin.write(json.dumps({"capture": str(capture), "env": env}) + "\n")
        self.proc.stdin.flush()
        pid = int(self._line(None))
        line = self._line(time.monotonic() + timeout)
        if line is None:  # too slow: end the page's process group, then read its status as usual
            os.killpg(pid, signal.SIGKILL)
            (capture / "timeout").write_text(str(timeout))
            line = self._line(None)
        return int(line)

    def _line(self, deadline: float | None) -> str | None:
        """The zygote's next line, or None once ``deadline`` (time.monotonic) has passed."""
        import select

        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            wait = None if deadline is None else max(deadline - time.monotonic(), 0)
            if not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the page runner's zygote exited")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        self.proc.stdout.close()
        shutil.rmtree(self._capture, ignore_errors=True)


def zygote_serve() -> int:
    import torch  # noqa: F401 - the one import every page starts with; paid once

    from primersite.preload import preload

    _PRELOADED.update(preload())  # the rest of what pages import most (see primersite.preload)

    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        capture = Path(job["capture"])
        pid = os.fork()
        if pid == 0:  # the page's own process
            os.setsid()
            os.environ.clear()
            os.environ.update(job["env"])
            tempfile.tempdir = None  # read TMPDIR again
            out = os.open(capture / "stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            err = os.open(capture / "stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.close(0)
            os.open(os.devnull, os.O_RDONLY)
            code = 1
            try:
                code = child(capture)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(Path(sys.argv[2])))
    if sys.argv[1:2] == ["--zygote"]:
        sys.exit(zygote_serve())
    sys.exit("usage: python -m primersite.runner --child CAPTURE_DIR | --zygote")
