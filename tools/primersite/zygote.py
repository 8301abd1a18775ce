"""A process that has imported torch and the packages pages use most, forking one child per page.

Forking copies the imported modules, not any state a page made: every page gets a new
process, an empty ``__main__`` and its own folder (see :mod:`primersite.child`).

The same parent runs whole scripts too (:meth:`Zygote.run_script`): each fork becomes
``python SCRIPT ARGS...`` in a folder of the caller's choosing, and exits as the interpreter
would. The tests smoke-run every example that way, paying ``import torch`` once per worker
instead of once per run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from primersite import child as page_child
from primersite.sandbox import WARNING_FLAGS, Capture, child_env


class Zygote:
    """A process that has imported torch and the packages pages use most; each page runs in
    a fresh fork of it.

    Forking copies the imported modules, not any state a page made: every page gets a new
    process, an empty ``__main__`` and its own folder.
    """

    def __init__(self, env: dict[str, str] | None = None, flags: list[str] = WARNING_FLAGS) -> None:
        """``env`` and ``flags``: the environment and interpreter options of every fork.
        By default a page's (:func:`~primersite.sandbox.child_env`, warnings as errors);
        scripts get what ``python SCRIPT`` would get from the caller."""
        self._capture = Path(tempfile.mkdtemp(prefix="primersite-zygote-"))
        self.env = child_env(self._capture) if env is None else env
        self.proc = subprocess.Popen(
            [sys.executable, *flags, "-m", "primersite.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.env,
            text=True,
            start_new_session=True,
        )
        self._buffer = b""
        if self._line(time.monotonic() + 120) != "ready":
            raise RuntimeError("the page runner's zygote did not start")

    def run(self, capture: Path, timeout: float) -> int:
        """Run the page request in ``capture`` (see :mod:`primersite.child`); its exit status."""
        return self._job({"capture": str(capture), "env": child_env(capture)}, capture, timeout)

    def run_script(
        self, script: Path | str, args: list[str], cwd: Path, timeout: float = 600, *, module=False
    ) -> ScriptRun:
        """``python SCRIPT ARGS...`` (``python -m SCRIPT ARGS...`` with ``module``) run in
        ``cwd``, in a fork of this process."""
        with tempfile.TemporaryDirectory(prefix="primersite-script-") as tmp:
            capture = Path(tmp)
            job = {
                "capture": str(capture),
                "env": self.env,
                "script": str(script) if module else str(Path(script).resolve()),
                "module": module,
                "args": [str(a) for a in args],
                "cwd": str(cwd),
            }
            code = self._job(job, capture, timeout)
            undeclared = capture / Capture.UNDECLARED
            return ScriptRun(
                returncode=code,
                stdout=(capture / Capture.STDOUT).read_text("utf-8", "replace"),
                stderr=(capture / Capture.STDERR).read_text("utf-8", "replace"),
                undeclared=json.loads(undeclared.read_text()) if undeclared.exists() else [],
                timed_out=(capture / Capture.TIMEOUT).exists(),
            )

    def _job(self, job: dict, capture: Path, timeout: float) -> int:
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        pid = int(self._line(None))
        line = self._line(time.monotonic() + timeout)
        if line is None:  # too slow: end the page's process group, then read its status as usual
            os.killpg(pid, signal.SIGKILL)
            (capture / Capture.TIMEOUT).write_text(str(timeout))
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


@dataclass
class ScriptRun:
    """What a script run by :meth:`Zygote.run_script` did (the names of CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str
    # submodules the script reached without importing them (see primersite.preload)
    undeclared: list[str]
    timed_out: bool


def _exit_status(err: SystemExit) -> int:
    """The status ``python`` exits with for ``sys.exit(code)``."""
    if err.code is None:
        return 0
    if isinstance(err.code, int):
        return err.code & 0xFF
    print(err.code, file=sys.stderr)
    return 1


def script_child(script: str, args: list[str], cwd: Path, capture: Path, module: bool) -> int:
    """Be ``python SCRIPT ARGS...`` (``python -m SCRIPT ...`` with ``module``) in ``cwd``: a
    new ``__main__``, its argv and sys.path[0]; an uncaught exception goes to
    ``sys.excepthook``; threads are joined and exit functions run before the process ends,
    as the interpreter does."""
    import atexit
    import runpy
    import threading

    os.chdir(cwd)
    try:
        if module:  # what -m does: the module's code runs in __main__, argv[0] its file
            page_child.become_main(Path("-m"), Path(os.getcwd()), args)
            runpy._run_module_as_main(script, alter_argv=True)
        else:
            namespace = page_child.become_main(Path(script), Path(script).parent, args)
            exec(compile(Path(script).read_text(encoding="utf-8"), script, "exec"), namespace)
        status = 0
    except SystemExit as err:
        status = _exit_status(err)
    except BaseException:  # noqa: BLE001 - what the interpreter does with an uncaught error
        sys.excepthook(*sys.exc_info())
        status = 1
    threading._shutdown()  # wait for the script's non-daemon threads, as Python does at exit
    atexit._run_exitfuncs()
    origin = Path(sys.argv[0])  # the script, or the module's file once -m has found it
    if page_child.PRELOADED and origin.is_file():
        from primersite.preload import undeclared_submodules

        found = undeclared_submodules(
            origin.read_text(encoding="utf-8"), page_child.PRELOADED, set(sys.modules)
        )
        (capture / Capture.UNDECLARED).write_text(json.dumps(found))
    return status


def zygote_serve() -> int:
    import torch  # noqa: F401 - the one import every page starts with; paid once

    from primersite.preload import preload

    # the rest of what pages import most (see primersite.preload)
    page_child.PRELOADED.update(preload())

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
            out = os.open(capture / Capture.STDOUT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            err = os.open(capture / Capture.STDERR, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.close(0)
            os.open(os.devnull, os.O_RDONLY)
            code = 1
            try:
                if "script" in job:
                    code = script_child(
                        job["script"], job["args"], Path(job["cwd"]), capture, job["module"]
                    )
                else:
                    code = page_child.child(capture)
            except BaseException:  # noqa: BLE001 - the runner's own failure: say what it was
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(zygote_serve())
