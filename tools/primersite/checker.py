"""The verdicts on a page: each block's output, the whole script, the files it leaves.

A page is run once (:mod:`primersite.runner`); from that one run come

* one verdict per python block: each top-level statement printed exactly the ``#>``
  lines between it and the next statement (a statement that prints without ``#>`` lines
  fails too, so no output goes unchecked);
* one verdict for the page as a script: it ran to the end in a fresh process from an
  empty folder, its whole stdout is what the ``#>`` lines promise, it wrote nothing
  outside its folder, and every committed figure it makes is the one it made;
* one verdict on the page's text (:func:`primersite.pages.problems`);
* one verdict per GPU block, which does not run here: its ``#>`` lines against its
  recorded run on a GPU (:mod:`primersite.gpu_check`).

Sybil collects these as pytest items (:func:`page_sybil`); ``python -m primersite``
runs the same checks on one page for an author, and fills ``#>`` lines from a run.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sybil import Document, Region, Sybil

from primersite import ROOT
from primersite.figures import compare_figure
from primersite.gpu_check import gpu_verdict, recorded_outputs
from primersite.gpu_records import load_records
from primersite.pages import Block, Page, lex, problems
from primersite.runner import PageRun, run_page
from primersite.verdicts import CheckFailure, compare_output, statement_owners
from primersite.zygote import Zygote


def check_block(
    path: Path, page: Page, block: Block, run: PageRun, environ: dict[str, str]
) -> None:
    """Raise CheckFailure unless every statement of ``block`` printed its ``#>`` lines."""
    __tracebackhide__ = True
    if block not in page.runs(environ):
        pytest.skip(f"{path.name}:{block.line}: {block.skip_reason}")
    index = page.runs(environ).index(block)
    got = {s.line: s for s in run.statements if s.block == index}
    for first, last, expected in statement_owners(block):
        if first not in got:
            why = run.ended_early or (
                f"line {run.error['line']} raised {run.error['type']}" if run.error else ""
            )
            raise CheckFailure(f"{path}:{first}: never ran: the page stopped earlier ({why})")
        if run.error and run.error["line"] == first:
            raise CheckFailure(f"{path}:{first}: {run.error['traceback'].rstrip()}")
        compare_output(path, first, last, expected, got[first].output, "printed")


def check_script(path: Path, page: Page, run: PageRun, environ: dict[str, str]) -> None:
    """Raise CheckFailure unless the page ran as one script, printed what it promises and left nothing wrong."""
    __tracebackhide__ = True
    from primersite.pages import page_script

    where = f"{path} as a script (fresh process, empty folder)"
    if run.error:
        raise CheckFailure(
            f"{where}: line {run.error['line']} raised\n{run.error['traceback'].rstrip()}"
        )
    if run.ended_early:
        raise CheckFailure(f"{where}: {run.ended_early}\n{run.stderr[-3000:]}")
    expected = page_script(page, environ)[1]
    if run.stdout != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(),
                run.stdout.splitlines(),
                "page (#> lines)",
                "script stdout",
                lineterm="",
            )
        )
        raise CheckFailure(f"{where}: its output differs from the page\n{diff}")
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
                    f"{where}: the committed {committed.name} is not what the page draws: {difference} "
                    f"(python -m primersite fill {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
                    "rewrites it)"
                )


# --- one run per page, shared by its items ------------------------------------------------

_RUNS: dict[tuple[str, str, str], PageRun] = {}
_ZYGOTE: list[Zygote] = []


def environ_key(environ: dict[str, str], page: Page) -> str:
    return repr(
        sorted((b.needs_env, environ.get(b.needs_env)) for b in page.python_blocks if b.needs_env)
    )


def page_run(path: Path, page: Page, environ: dict[str, str]) -> PageRun:
    """The run of ``page`` (made on first use, then shared by all of the page's verdicts)."""
    key = (str(path), hashlib.sha256(page.text.encode()).hexdigest(), environ_key(environ, page))
    if key not in _RUNS:
        if not _ZYGOTE and os.environ.get("PRIMERSITE_NO_ZYGOTE") != "1":
            _ZYGOTE.append(Zygote())
        _RUNS[key] = run_page(
            page, path.stem, environ=environ, zygote=_ZYGOTE[0] if _ZYGOTE else None
        )
    return _RUNS[key]


def close_runner() -> None:
    while _ZYGOTE:
        _ZYGOTE.pop().close()


@dataclass
class _Item:
    kind: str  # "text", "block" or "script"
    page: Page
    block: Block | None = None


def _evaluate(example) -> None:
    __tracebackhide__ = True
    item: _Item = example.parsed
    path = Path(example.path)
    environ = dict(os.environ)
    if item.kind == "text":
        found = problems(item.page)
        if found:
            raise CheckFailure(f"{path}:\n  " + "\n  ".join(found))
        return
    if item.kind == "block" and item.block.gpu:  # checked against its recorded run
        reason = gpu_verdict(path, item.page, item.block)
        if reason is not None:
            pytest.skip(reason)
        return
    if item.kind == "block" and item.block not in item.page.runs(environ):
        pytest.skip(f"{path.name}:{item.block.line}: {item.block.skip_reason}")
    run = page_run(path, item.page, environ)
    if item.kind == "block":
        check_block(path, item.page, item.block, run, environ)
    else:
        check_script(path, item.page, run, environ)


def parse_page(document: Document) -> Iterator[Region]:
    """Sybil parser: the page's text, each python block, and the page as a script."""
    page = lex(document.text, snippet_base=ROOT)
    yield Region(0, 0, parsed=_Item("text", page), evaluator=_evaluate)
    for b in page.python_blocks:
        yield Region(b.start, b.end, parsed=_Item("block", page, b), evaluator=_evaluate)
    if page.python_blocks:
        end = len(document.text)
        yield Region(end, end, parsed=_Item("script", page), evaluator=_evaluate)


def page_sybil(**kwargs) -> Sybil:
    return Sybil(parsers=[parse_page], **kwargs)


def fill(path: Path, environ: dict[str, str] | None = None) -> tuple[str, PageRun]:
    """The page with every ``#>`` run rewritten from a real run, and the run (a writing aid)."""
    environ = dict(os.environ if environ is None else environ)
    text = path.read_text(encoding="utf-8")
    stripped = _strip_outputs(text)
    page = lex(stripped, snippet_base=ROOT)
    run = run_page(page, path.stem, environ=environ)
    by_block: dict[int, dict[int, str]] = {}
    for s in run.statements:
        by_block.setdefault(s.block, {})[s.end_line] = s.output
    runs = page.runs(environ)
    records = load_records() if any(b.gpu for b in page.python_blocks) else {}
    pieces, cursor = [], 0
    for b in page.python_blocks:
        if b in runs:
            after = by_block.get(runs.index(b), {})
        elif b.gpu and not b.snippets:  # from its recorded run, if it has one
            after = {b.line + n: out for n, out in recorded_outputs(b, records).items()}
        else:
            continue
        pieces += [stripped[cursor : b.body_start], _with_outputs(b, after)]
        cursor = b.body_end
    pieces.append(stripped[cursor:])
    if run.error:  # the run saw the page without its #> lines: name the page's own line
        run.error["line"] = _original_line(text, stripped, run.error["line"])
    return "".join(pieces), run


def _with_outputs(block: Block, after: dict[int, str]) -> str:
    """The block's body with ``after[page line]`` as ``#>`` lines under that line."""
    out = io.StringIO()
    for n, line in enumerate(block.source.splitlines(), start=1):
        out.write((block.indent + line if line.strip() else "") + "\n")
        printed = after.get(block.line + n)
        for t in printed.splitlines() if printed else []:
            out.write(block.indent + (f"#> {t}" if t.strip() else "#>").rstrip() + "\n")
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


def _strip_outputs(text: str) -> str:
    page = lex(text)
    pieces, cursor = [], 0
    for b in page.python_blocks:
        if b.snippets:
            continue  # an included file is filled where it lives
        body = text[b.body_start : b.body_end]
        kept = "".join(
            ln for ln in body.splitlines(keepends=True) if not ln.strip().startswith("#>")
        )
        pieces += [text[cursor : b.body_start], kept]
        cursor = b.body_end
    pieces.append(text[cursor:])
    return "".join(pieces)
