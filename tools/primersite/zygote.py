"""A process that has imported torch and the packages pages use most, forking one child per page.

Forking copies the imported modules, not any state a page made: every page gets a new
process, an empty ``__main__`` and its own folder (see :mod:`primersite.child`).
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
from pathlib import Path

from primersite import child as page_child
from primersite.runner import WARNING_FLAGS, child_env


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
            [sys.executable, *WARNING_FLAGS, "-m", "primersite.zygote"],
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
            out = os.open(capture / "stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            err = os.open(capture / "stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.close(0)
            os.open(os.devnull, os.O_RDONLY)
            code = 1
            try:
                code = page_child.child(capture)
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
