"""The page's own process: runs a page runner request one top-level statement at a time.

It reads the request from its capture folder (:class:`~primersite.check.sandbox.Sandbox`),
becomes ``__main__`` of the page's script in the page's empty folder, and after each
statement writes to the progress file how far file descriptor 1 has grown, so the parent
can cut the output per statement. Started fresh (``python -m primersite.check.child
CAPTURE``) or forked from a zygote (:func:`run_job`).
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

from primersite.check import preload
from primersite.check.sandbox import Sandbox


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


def _flush() -> int:
    """Flush Python's and C's stdout buffers; return how many bytes fd 1 holds so far."""
    sys.stdout.flush()
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except OSError:
        pass
    return os.fstat(1).st_size


def _guard(run_dir: Path, box: Sandbox) -> None:
    """Warnings as errors, and an audit hook that logs writes outside the allowed folders."""
    import warnings

    for category in Sandbox.WARNINGS_AS_ERRORS:
        warnings.simplefilter("error", category)
    allowed = [
        str(run_dir),
        str(box.folder),
        os.environ.get("MPLCONFIGDIR", str(Sandbox.STATE)),
        "/dev",
        os.path.expanduser("~/.cache"),
    ]
    log_fd = os.open(box.writes, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.addaudithook(_audit_writes(log_fd, [os.path.realpath(a) for a in allowed] + allowed))


def become_main(script: Path, path0: Path, args: list[str] = ()) -> dict:
    """An empty ``__main__`` for ``script``, as ``python script.py ARGS`` would make it
    (``path0``: sys.path[0], the script's folder)."""
    import types

    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    main.__builtins__ = __builtins__
    main.__spec__ = None
    sys.modules["__main__"] = main
    sys.argv = [str(script), *args]
    sys.path[0] = str(path0)
    return main.__dict__


def _statement(stmt: ast.stmt, index: int, script: Path, namespace: dict, emit) -> bool:
    """Run one top-level statement; emit its output span (and its error); False if it raised."""
    import traceback

    start = _flush()
    emit(event="start", block=index, line=stmt.lineno)
    where = {"block": index, "line": stmt.lineno, "end_line": stmt.end_lineno}
    try:
        exec(compile(ast.Module([stmt], type_ignores=[]), str(script), "exec"), namespace)
    except BaseException as err:  # noqa: BLE001 - a page's error is its verdict, SystemExit included
        emit(event="done", **where, out_from=start, out_to=_flush())
        lines = traceback.format_exception(type(err), err, err.__traceback__)
        emit(
            event="error",
            block=index,
            line=stmt.lineno,
            type=type(err).__name__,
            message=str(err),
            traceback="".join(lines[-12:]),
        )
        return False
    emit(event="done", **where, out_from=start, out_to=_flush())
    return True


def child(capture: Path) -> int:
    """Run the request in ``capture``: the page's statements, one at a time, as ``__main__``."""
    box = Sandbox(capture)
    request = json.loads(box.request.read_text())
    run_dir, script = Path(request["run_dir"]), Path(request["script"])
    os.chdir(run_dir)
    _guard(run_dir, box)
    progress = open(box.progress, "a", buffering=1)
    namespace = become_main(script, run_dir)

    def emit(**event) -> None:
        progress.write(json.dumps(event) + "\n")

    for index, block in enumerate(request["blocks"]):
        tree = ast.parse(block["source"], filename=str(script))
        ast.increment_lineno(tree, block["line"])  # page lines: the body follows the fence
        if not all(_statement(stmt, index, script, namespace, emit) for stmt in tree.body):
            return 1
    import atexit

    atexit._run_exitfuncs()  # what a script prints on its way out is part of its output
    _flush()
    if preload.PRELOADED:
        source = script.read_text(encoding="utf-8")
        emit(event="undeclared", modules=preload.undeclared_in(source))
    emit(event="end")
    return 0


def run_job(job: dict) -> int:
    """A zygote's job for a page (see :class:`~primersite.check.zygote.Zygote`)."""
    return child(Path(job["capture"]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m primersite.check.child CAPTURE_DIR")
    sys.exit(child(Path(sys.argv[1])))
