"""The code a reader copies meets the package's bar: ruff's lint and format check, run over
each page as a reader's script (its python blocks in order, so a name an earlier block
defines counts).

The rules are the project's own (``[tool.ruff]`` in pyproject.toml), with the few that
teaching code breaks on purpose set aside for pages there (``docs/**/*.py``: an import
where it is first needed, a function defined again as the page improves it). Each block is
formatted with the script, two blank lines from its neighbours, so it is held to what a file of its own would be. A problem names the page line and
ruff's rule, so it can be looked up (``ruff rule E711``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

from primersite import ROOT
from primersite.check.page import OUTPUT_MARK, Page

#: The name ruff is told the script has: pyproject.toml's settings for pages match it.
STDIN_NAME = "docs/page.py"
#: Blank lines between two blocks in the script: what ruff format keeps around a definition.
GAP = 2


def reader_script(page: Page) -> tuple[str, list[int]]:
    """Every python block in page order without its ``#>`` lines (output, which the
    formatter would respace), two blank lines apart, and the page line of each script line
    (0 for the blank lines between blocks)."""
    lines: list[str] = []
    where: list[int] = []
    for b in page.python_blocks:
        code = [
            (b.line + n, ln.rstrip())
            for n, ln in enumerate(b.source.split("\n"), start=1)
            if not ln.strip().startswith(OUTPUT_MARK)
        ]
        while code and not code[-1][1].strip():
            code.pop()
        while code and not code[0][1].strip():
            code.pop(0)
        if code and lines:
            # after a block that ends with imports, one blank line: what isort keeps there
            gap = 1 if lines[-1].startswith(("import ", "from ")) else GAP
            lines += [""] * gap
            where += [0] * gap
        where += [n for n, _ in code]
        lines += [ln for _, ln in code]
    return "".join(ln + "\n" for ln in lines), where


def _ruff(*args: str, script: str) -> subprocess.CompletedProcess:
    from ruff.__main__ import find_ruff_bin

    command = [find_ruff_bin(), *args, "--stdin-filename", STDIN_NAME, "-"]
    return subprocess.run(command, input=script, capture_output=True, text=True, cwd=ROOT)


def _first_changes(diff: str) -> list[int]:
    """The script line where each hunk of a unified diff first changes something."""
    found, old, changed = [], None, True
    for line in diff.splitlines():
        if line.startswith("@@"):
            old, changed = int(line.split()[1].lstrip("-").split(",")[0]), False
        elif old is None:
            continue  # the file names above the first hunk
        elif line.startswith(("-", "+")):
            if not changed:
                found.append(old)
                changed = True
            old += line.startswith("-")
        else:
            old += 1
    return found


def _page_line(where: list[int], row: int) -> int:
    """The page line of script line ``row``; a blank line between blocks counts as the next
    block's first (or, at the end, the last block's last)."""
    row = min(max(row, 1), len(where))
    after = [line for line in where[row - 1 :] if line]
    return after[0] if after else next(line for line in reversed(where) if line)


def lint_problems(page: Page) -> Iterator[str]:
    """Ruff's findings on the page's code, one per line, with the page line and the rule."""
    script, where = reader_script(page)
    if not script:
        return
    checked = _ruff("check", "--output-format=json", "--no-fix", script=script)
    for finding in json.loads(checked.stdout or "[]"):
        line = _page_line(where, finding["location"]["row"])
        yield f"line {line}: ruff {finding['code']}: {finding['message']}"
    formatted = _ruff("format", "--diff", script=script)
    for row in _first_changes(formatted.stdout):
        yield f"line {_page_line(where, row)}: ruff format would write this differently (ruff format --diff)"
