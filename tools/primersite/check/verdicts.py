"""The verdicts from a page's one run: each block's output, and the page as a script.

* a block: each top-level statement printed exactly the ``#>`` lines between it and the
  next statement (a statement that prints without ``#>`` lines fails too, so no output goes
  unchecked);
* the script: it ran to the end in a fresh process from an empty folder, its whole stdout
  is what the ``#>`` lines promise, it wrote nothing outside its folder, used no submodule
  only preloading imported, and every committed figure it makes is the one it made.

What a failure says, and the output comparison, are shared with the GPU blocks' verdict
(:mod:`primersite.check.gpu_check`), which holds a block to its recorded run instead.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from primersite import ROOT
from primersite.check.figures import compare_figure
from primersite.check.page import Block, Plan, Statement
from primersite.check.runner import PageRun
from primersite.lock import LOCK, read_lock


class CheckFailure(AssertionError):
    """A page says something its run does not back."""

    def __init__(self, message: str) -> None:
        super().__init__(message + _python_note())


def _python_note() -> str:
    """When this Python is not the one the site is verified with, a failure says so."""
    pinned = read_lock().python if LOCK.is_file() else None
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if pinned is None or pinned == here:
        return ""
    return (
        f"\n(The site is verified with Python {pinned}; this run uses Python {here}. "
        "An output that differs between Python versions shows up here as a failure.)"
    )


def _lines(text: str) -> list[str]:
    return [ln.rstrip() for ln in text.splitlines()]


def compare_output(path, statement: Statement, output: str, source: str) -> None:
    """Raise CheckFailure unless ``output`` (what ``source`` says ``statement`` printed) is
    its ``#>`` lines."""
    __tracebackhide__ = True
    want = [t for _, t in statement.expected]
    printed = _lines(output)
    if _lines("\n".join(want)) != printed:
        diff = "\n".join(
            difflib.unified_diff(want, printed, "page (#> lines)", source, lineterm="")
        )
        where = statement.expected[0][0] if statement.expected else statement.last
        raise CheckFailure(
            f"{path}:{where}: output of the statement at line {statement.first} differs from "
            f"the page\n{diff}"
        )


def check_block(path: Path, block: Block, plan: Plan, run: PageRun) -> None:
    """Raise CheckFailure unless every statement of ``block`` (one that runs in ``plan``)
    printed its ``#>`` lines."""
    __tracebackhide__ = True
    got = run.printed_by(plan.index(block))
    for statement in block.statements:
        if statement.first not in got:
            raise CheckFailure(
                f"{path}:{statement.first}: never ran: the page stopped earlier ({run.why_stopped()})"
            )
        if run.error and run.error["line"] == statement.first:
            raise CheckFailure(f"{path}:{statement.first}: {run.error['traceback'].rstrip()}")
        compare_output(path, statement, got[statement.first].output, "printed")


def _shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def check_script(path: Path, plan: Plan, run: PageRun) -> None:
    """Raise CheckFailure unless the page ran as one script, printed what it promises and
    left nothing wrong."""
    __tracebackhide__ = True
    where = f"{path} as a script (fresh process, empty folder)"
    if run.error:
        raise CheckFailure(
            f"{where}: line {run.error['line']} raised\n{run.error['traceback'].rstrip()}"
        )
    if run.ended_early:
        raise CheckFailure(f"{where}: {run.ended_early}\n{run.stderr[-3000:]}")
    if run.stdout != plan.expected_stdout:
        diff = difflib.unified_diff(
            plan.expected_stdout.splitlines(),
            run.stdout.splitlines(),
            "page (#> lines)",
            "script stdout",
            lineterm="",
        )
        raise CheckFailure(f"{where}: its output differs from the page\n" + "\n".join(diff))
    if run.undeclared:
        raise CheckFailure(
            f"{where}: uses {', '.join(run.undeclared)} without importing it; in a fresh interpreter "
            "that is an AttributeError (import the submodule where the page first uses it)"
        )
    if run.writes:
        raise CheckFailure(f"{where}: wrote outside its folder: {', '.join(run.writes[:5])}")
    for name, data in run.files.items():
        committed = path.parent / name
        if "/" not in name and committed.is_file() and name.endswith((".png", ".jpg", ".svg")):
            difference = compare_figure(committed, data)
            if difference:
                raise CheckFailure(
                    f"{where}: the committed {committed.name} is not what the page draws: "
                    f"{difference} (python -m primersite fill {_shown(path)} rewrites it)"
                )
