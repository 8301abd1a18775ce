"""``python SCRIPT ARGS`` (or ``python -m MODULE ARGS``) in a fork of a pre-imported parent:
how the tests run examples and commands, paying ``import torch`` once per worker.

Each fork becomes the script as the interpreter would make it: a new ``__main__``, its argv
and ``sys.path[0]``, its folder; an uncaught exception goes to ``sys.excepthook``; threads
are joined and exit functions run before it exits with the interpreter's status. A script
that reaches a submodule only the preloading imported is reported
(:func:`primersite.check.preload.undeclared_in`). The pytest plugin
(:mod:`primersite.pytest_plugin`) keeps one runner per session.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from primersite.check import preload
from primersite.check.child import become_main
from primersite.check.sandbox import Sandbox
from primersite.check.zygote import Zygote


@dataclass
class ScriptRun:
    """What a script run in a fork did (the names of CompletedProcess)."""

    returncode: int
    stdout: str
    stderr: str
    # submodules the script reached without importing them (see primersite.check.preload)
    undeclared: list[str]
    timed_out: bool


class ScriptRunner:
    """Runs scripts in forks of one zygote, with ``env`` and no extra interpreter flags."""

    def __init__(self, env: dict[str, str]) -> None:
        self._zygote = Zygote("primersite.check.scripts:run_job", env=env, flags=())
        self.env = env

    def run(
        self, script: Path | str, args: list[str], cwd: Path, timeout: float = 600, *, module=False
    ) -> ScriptRun:
        with tempfile.TemporaryDirectory(prefix="primersite-script-") as tmp:
            box = Sandbox(Path(tmp))
            job = {
                "capture": tmp,
                "env": self.env,
                "script": str(script) if module else str(Path(script).resolve()),
                "module": module,
                "args": [str(a) for a in args],
                "cwd": str(cwd),
            }
            code = self._zygote.run(job, timeout)
            return ScriptRun(
                returncode=code,
                stdout=box.text(box.stdout),
                stderr=box.text(box.stderr),
                undeclared=json.loads(box.text(box.undeclared) or "[]"),
                timed_out=box.timeout.exists(),
            )

    def close(self) -> None:
        self._zygote.close()


def _exit_status(err: SystemExit) -> int:
    """The status ``python`` exits with for ``sys.exit(code)``."""
    if err.code is None:
        return 0
    if isinstance(err.code, int):
        return err.code & 0xFF
    print(err.code, file=sys.stderr)
    return 1


def run_job(job: dict) -> int:
    """Be ``python SCRIPT ARGS`` (``python -m SCRIPT ...`` with ``module``) in the job's folder."""
    import atexit
    import runpy
    import threading

    script, args = job["script"], job["args"]
    os.chdir(job["cwd"])
    try:
        if job["module"]:  # what -m does: the module's code runs in __main__, argv[0] its file
            become_main(Path("-m"), Path(os.getcwd()), args)
            runpy._run_module_as_main(script, alter_argv=True)
        else:
            namespace = become_main(Path(script), Path(script).parent, args)
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
    if preload.PRELOADED and origin.is_file():
        found = preload.undeclared_in(origin.read_text(encoding="utf-8"))
        Sandbox(Path(job["capture"])).undeclared.write_text(json.dumps(found))
    return status
