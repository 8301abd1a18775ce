"""A process that has imported torch and the packages pages use most, forking one child per job.

Forking copies the imported modules, not any state a job made: every job gets a new
process with its own stdout and stderr (the capture folder's), in a new session. What a
fork does is the handler named when the zygote starts (``module:function``, imported
before the zygote says it is ready): a page (:func:`primersite.check.child.run_job`) or,
for the tests, a script (:func:`primersite.check.scripts.run_job`).
"""

from __future__ import annotations

import importlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from primersite.check.sandbox import Sandbox

PAGE_HANDLER = "primersite.check.child:run_job"


class Zygote:
    """A pre-imported parent; :meth:`run` forks it for one job."""

    def __init__(
        self,
        handler: str = PAGE_HANDLER,
        env: dict[str, str] | None = None,
        flags: tuple[str, ...] = Sandbox.FLAGS,
    ) -> None:
        """``env`` and ``flags``: the environment and interpreter options of every fork. By
        default a page's (:meth:`Sandbox.env`, warnings as errors)."""
        self._folder = Path(tempfile.mkdtemp(prefix="primersite-zygote-"))
        self.env = Sandbox(self._folder).env() if env is None else env
        self.proc = subprocess.Popen(
            [sys.executable, *flags, "-m", "primersite.check.zygote", handler],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.env,
            text=True,
            start_new_session=True,
        )
        self._buffer = b""
        if self._line(time.monotonic() + 120) != "ready":
            raise RuntimeError("the page runner's zygote did not start")

    def run(self, job: dict, timeout: float) -> int:
        """Fork for ``job`` (its ``capture`` folder holds what the fork writes); its exit
        status, or -SIGKILL after ``timeout`` seconds (the capture folder then says so)."""
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        pid = int(self._line(None))
        line = self._line(time.monotonic() + timeout)
        if line is None:  # too slow: end the job's process group, then read its status as usual
            os.killpg(pid, signal.SIGKILL)
            Sandbox(Path(job["capture"])).timeout.write_text(str(timeout))
            line = self._line(None)
        return int(line)

    def _line(self, deadline: float | None) -> str | None:
        """The zygote's next line, or None once ``deadline`` (time.monotonic) has passed."""
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
        shutil.rmtree(self._folder, ignore_errors=True)


def _fork(handler, job: dict) -> int:
    """Become the job's process: its environment, its capture files as fds 1 and 2."""
    os.setsid()
    os.environ.clear()
    os.environ.update(job["env"])
    tempfile.tempdir = None  # read TMPDIR again
    box = Sandbox(Path(job["capture"]))
    for fd, path in ((1, box.stdout), (2, box.stderr)):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)
    code = 1
    try:
        code = handler(job)
    except BaseException:  # noqa: BLE001 - the runner's own failure: say what it was
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(handler_name: str) -> int:
    import torch  # noqa: F401 - the one import every page starts with; paid once

    from primersite.check.preload import preload

    preload()  # the rest of what pages import most
    module, _, function = handler_name.partition(":")
    handler = getattr(importlib.import_module(module), function)
    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _fork(handler, job)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1] if len(sys.argv) > 1 else PAGE_HANDLER))
