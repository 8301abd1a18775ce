"""``fill``: a page with every ``#>`` run rewritten from a real run of it (a writing aid).

The page is read without its ``#>`` lines and run once in a fresh interpreter; under each
statement go the lines it printed. A GPU block's come from its recorded run
(:mod:`primersite.check.gpu_records`). A block that includes a file (``--8<--``) is left as
it stands: the file is filled where it lives.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from primersite import ROOT
from primersite.check.gpu_check import recorded_outputs
from primersite.check.gpu_records import load_records
from primersite.check.lex import read
from primersite.check.page import OUTPUT_MARK, Block, Page
from primersite.check.runner import PageRun, run_blocks


def fill(path: Path, environ: dict[str, str] | None = None) -> tuple[str, PageRun]:
    """The page at ``path`` with its ``#>`` lines from a run, and that run."""
    environ = dict(os.environ if environ is None else environ)
    text = Path(path).read_text(encoding="utf-8")
    stripped = _strip_outputs(read(text, snippet_base=ROOT))
    page = read(stripped, snippet_base=ROOT)
    plan = page.plan(environ)
    run = run_blocks(plan.requests, plan.script, Path(path).stem)
    records = load_records() if any(b.gpu for b in page.python_blocks) else {}
    pieces, cursor = [], 0
    for b in (b for b in page.python_blocks if not b.snippets):
        index = plan.index(b)
        if index is not None:
            after = {p.end_line: p.output for p in run.printed_by(index).values()}
        elif b.gpu:  # from its recorded run, if it has one
            after = {b.line + n: out for n, out in recorded_outputs(b, records).items()}
        else:
            continue
        pieces += [stripped[cursor : b.body_start], _with_outputs(b, after)]
        cursor = b.body_end
    pieces.append(stripped[cursor:])
    if run.error:  # the run saw the page without its #> lines: name the page's own line
        run.error["line"] = _original_line(text, stripped, run.error["line"])
    return "".join(pieces), run


def _strip_outputs(page: Page) -> str:
    """The page's text without the ``#>`` lines of its python blocks (but those that include
    a file, which are left as they stand)."""
    pieces, cursor = [], 0
    for b in page.python_blocks:
        if b.snippets:
            continue
        body = page.text[b.body_start : b.body_end]
        kept = "".join(
            ln for ln in body.splitlines(keepends=True) if not ln.strip().startswith(OUTPUT_MARK)
        )
        pieces += [page.text[cursor : b.body_start], kept]
        cursor = b.body_end
    pieces.append(page.text[cursor:])
    return "".join(pieces)


def _with_outputs(block: Block, after: dict[int, str]) -> str:
    """The block's body with ``after[page line]`` as ``#>`` lines under that line."""
    out = io.StringIO()
    for n, line in enumerate(block.source.splitlines(), start=1):
        out.write((block.indent + line if line.strip() else "") + "\n")
        printed = after.get(block.line + n)
        for t in printed.splitlines() if printed else []:
            out.write(
                block.indent + (f"{OUTPUT_MARK} {t}" if t.strip() else OUTPUT_MARK).rstrip() + "\n"
            )
    return out.getvalue()


def _original_line(text: str, stripped: str, line: int) -> int:
    """The line of ``text`` that is line ``line`` of ``stripped`` (``text`` less #> lines)."""
    original, kept = text.splitlines(), stripped.splitlines()
    i = 0
    for j, content in enumerate(kept[:line], start=1):
        while i < len(original) and original[i] != content:
            i += 1  # a #> line that stripping removed
        if j == line:
            return i + 1
        i += 1
    return line
