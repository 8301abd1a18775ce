"""The page's own process: runs a page runner request one top-level statement at a time.

It reads ``request.json`` from its capture folder, becomes ``__main__`` of the page's
script in the page's empty folder, and after each statement writes to ``progress.jsonl``
how far file descriptor 1 has grown, so the parent can cut the output per statement.
Started fresh (``python -m primersite.child CAPTURE``) or forked from a zygote.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

from primersite.sandbox import STATE, Capture

# in a zygote's forks: what preloading imported, per preloaded module (primersite.preload)
PRELOADED: dict[str, set[str]] = {}


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


def _flush() -> int:
    """Flush Python's and C's stdout buffers; return how many bytes fd 1 holds so far."""
    sys.stdout.flush()
    _libc_flush()
    return os.fstat(1).st_size


def _guard(run_dir: Path, capture: Path) -> None:
    """Warnings as errors, and an audit hook that logs writes outside the allowed folders."""
    import warnings

    for category in (DeprecationWarning, FutureWarning, UserWarning):
        warnings.simplefilter("error", category)
    allowed = [
        str(run_dir),
        str(capture),
        os.environ.get("MPLCONFIGDIR", str(STATE)),
        "/dev",
        os.path.expanduser("~/.cache"),
    ]
    log_fd = os.open(capture / Capture.WRITES, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
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


def child(capture: Path) -> int:
    """Run the request in ``capture``: the page's statements, one at a time, as ``__main__``."""
    import traceback

    request = json.loads((capture / Capture.REQUEST).read_text())
    run_dir, script = Path(request["run_dir"]), Path(request["script"])
    os.chdir(run_dir)
    _guard(run_dir, capture)
    progress = open(capture / Capture.PROGRESS, "a", buffering=1)
    namespace = become_main(script, run_dir)

    def emit(**event) -> None:
        progress.write(json.dumps(event) + "\n")

    for index, block in enumerate(request["blocks"]):
        tree = ast.parse(block["source"], filename=str(script))
        ast.increment_lineno(tree, block["line"])  # page lines: the body follows the fence
        for stmt in tree.body:
            start = _flush()
            emit(event="start", block=index, line=stmt.lineno)
            where = {"block": index, "line": stmt.lineno}
            try:
                exec(compile(ast.Module([stmt], type_ignores=[]), str(script), "exec"), namespace)
            except BaseException as err:  # noqa: BLE001 - a page's error is its verdict, SystemExit included
                emit(
                    event="done", **where, end_line=stmt.end_lineno, out_from=start, out_to=_flush()
                )
                lines = traceback.format_exception(type(err), err, err.__traceback__)
                emit(
                    event="error",
                    **where,
                    type=type(err).__name__,
                    message=str(err),
                    traceback="".join(lines[-12:]),
                )
                return 1
            emit(event="done", **where, end_line=stmt.end_lineno, out_from=start, out_to=_flush())
    import atexit

    atexit._run_exitfuncs()  # what a script prints on its way out is part of its output
    _flush()
    if PRELOADED:
        from primersite.preload import undeclared_submodules

        source = script.read_text(encoding="utf-8")
        emit(event="undeclared", modules=undeclared_submodules(source, PRELOADED, set(sys.modules)))
    emit(event="end")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m primersite.child CAPTURE_DIR")
    sys.exit(child(Path(sys.argv[1])))
