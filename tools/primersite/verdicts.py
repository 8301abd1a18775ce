"""What a failed check says, and which ``#>`` lines belong to which statement.

Shared by the page checker (:mod:`primersite.checker`), which compares a statement's
``#>`` lines with what this run printed, and the GPU blocks' checker
(:mod:`primersite.gpu_check`), which compares them with what a recorded run printed.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys

from primersite import ROOT
from primersite.pages import Block, expected_lines


class CheckFailure(AssertionError):
    """A page says something its run does not back."""

    def __init__(self, message: str) -> None:
        super().__init__(message + _python_note())


def _python_note() -> str:
    """When this Python is not the one the site is verified with, a failure says so."""
    lock = (
        (ROOT / "requirements.lock").read_text(encoding="utf-8")
        if (ROOT / "requirements.lock").is_file()
        else ""
    )
    pinned = re.search(r"^# Python (\d+\.\d+)\b", lock, re.M)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if pinned is None or pinned.group(1) == here:
        return ""
    return (
        f"\n(The site is verified with Python {pinned.group(1)}; this run uses Python {here}. "
        "An output that differs between Python versions shows up here as a failure.)"
    )


def norm(text: str) -> list[str]:
    return [ln.rstrip() for ln in text.splitlines()]


def statement_owners(block: Block) -> list[tuple[int, int, list[tuple[int, str]]]]:
    """``(first line, last line, [(page line, expected text)])`` of each top-level statement:
    a ``#>`` line belongs to the last statement that starts above it."""
    tree = ast.parse(block.source)
    ast.increment_lineno(tree, block.line)
    stmts = [(s.lineno, s.end_lineno, []) for s in tree.body]
    for n, text in expected_lines(block.source):
        line = block.line + n
        owners = [s for s in stmts if s[0] <= line]
        if not owners:
            raise CheckFailure(f"line {line}: '#>' output line before any statement")
        owners[-1][2].append((line, text))
    return stmts


def compare_output(
    path, first: int, last: int, expected: list[tuple[int, str]], output: str, source: str
) -> None:
    """Raise CheckFailure unless ``output`` (what ``source`` says the statement at page lines
    ``first`` to ``last`` printed) is its ``#>`` lines ``expected``."""
    __tracebackhide__ = True
    want = [t for _, t in expected]
    printed = norm(output)
    if norm("\n".join(want)) != printed:
        diff = "\n".join(
            difflib.unified_diff(want, printed, "page (#> lines)", source, lineterm="")
        )
        where = expected[0][0] if expected else last
        raise CheckFailure(
            f"{path}:{where}: output of the statement at line {first} differs from the page\n{diff}"
        )
