"""The checker behind every page of PyTorch Primer.

Rules a page follows (docs/about/verified.md explains them to readers):

* Every fenced block whose language is python-ish (``python``, ``py``, ``python3``,
  ``py3``, ``pycon``, ``ipython``, ``{.python ...}``) is executed, whatever attributes
  follow the language (``title=``, ``hl_lines=``, ``linenums=`` ...). Blocks run in one
  namespace per page, top to bottom, as the reader who copies them would run them.
* Printed output is written under the statement that prints it as ``#>`` comment lines
  (pydantic-docs style). The output of each top-level statement is compared with the
  ``#>`` lines that stand between it and the next top-level statement; a statement that
  prints without ``#>`` lines fails too, so no output goes unchecked.
* ``<!-- skip: next "reason" -->`` skips the next python block and pytest reports the
  reason; a skip without a reason fails.
* DeprecationWarning, FutureWarning and UserWarning raised by a snippet are errors.
* ``>>>`` prompts are refused: Material's copy button would copy them.
* Blocks run with the page's folder as the working directory (so does the script test):
  a figure saved by ``fig.savefig("<page>-<what>.png")`` lands beside the page that shows it.

``lex`` and ``page_script`` are shared with the page-as-a-script test, so both see the
same blocks.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest
from sybil import Document, Region, Sybil

# Anything a reader would take for Python: fences whose info string starts with one of
# these words (case-insensitive), bare or as a pandoc-style ``{.python}`` class.
PYTHONISH = re.compile(r"^\{?\s*\.?(python3?|py3?|pycon|ipython3?|python-repl)(?=$|[\s{}.,;:])", re.I)
# Deliberately looser than PYTHONISH: used by the guard that proves nothing escaped.
LOOSE_PYTHONISH = re.compile(r"^[ \t>]*(`{3,}|~{3,})[ \t]*\{?[ \t]*\.?(py|python|pycon|ipython)", re.I | re.M)
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)$")
SKIP_ANY = re.compile(r"<!--\s*skip\b(?P<rest>.*?)-->", re.S)
SKIP_GOOD = re.compile(r'^:\s*next\s+"(?P<reason>[^"\n]*\S[^"\n]*)"\s*$')
WARNINGS_AS_ERRORS = (DeprecationWarning, FutureWarning, UserWarning)
OUTPUT_MARK = "#>"


@dataclass
class Block:
    """One fenced code block of a page."""

    start: int  # character offsets of the whole fence in the page
    end: int
    line: int  # 1-based line of the opening fence
    info: str
    source: str  # dedented body
    python: bool
    skip_reason: str | None = None
    indent: str = ""
    body_start: int = 0  # offsets of the body lines, fences excluded
    body_end: int = 0


@dataclass
class Directive:
    start: int
    end: int
    line: int
    reason: str | None  # None: malformed or bare
    text: str
    applied: bool = False


@dataclass
class Page:
    blocks: list[Block] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)

    @property
    def python_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.python]


def _dedent(line: str, indent: str) -> str:
    n = 0
    while n < len(indent) and n < len(line) and line[n] in " \t":
        n += 1
    return line[n:]


def lex(text: str) -> Page:
    """Find fenced blocks (top level, indented in admonitions or tabs) and skip directives."""
    page = Page()
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i].rstrip("\n"))
        if m is None or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        fence, indent, info = m["fence"], m["indent"], m["info"].strip()
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j].rstrip("\n")):
            j += 1
        body = "".join(_dedent(ln, indent) for ln in lines[i + 1 : j])
        end = offsets[min(j + 1, len(lines))]
        page.blocks.append(
            Block(offsets[i], end, i + 1, info, body, bool(PYTHONISH.match(info)),
                  indent=indent, body_start=offsets[i + 1], body_end=offsets[j])
        )
        i = j + 1
    inside = [(b.start, b.end) for b in page.blocks]
    for m in SKIP_ANY.finditer(text):
        if any(s <= m.start() < e for s, e in inside):
            continue  # a skip shown inside a code block is an example, not a directive
        good = SKIP_GOOD.match(m["rest"].strip())
        page.directives.append(
            Directive(m.start(), m.end(), text.count("\n", 0, m.start()) + 1,
                      good["reason"] if good else None, m.group(0))
        )
    for d in page.directives:
        nxt = next((b for b in page.blocks if b.start > d.end), None)
        if d.reason is not None and nxt is not None and nxt.python:
            between = text[d.end : nxt.start]
            if not between.strip() or between.strip().startswith("==="):
                nxt.skip_reason = d.reason
                d.applied = True
    return page


def page_script(text: str) -> tuple[str, str]:
    """The page as a reader's script: visible python blocks, skipped ones left out.

    Returns the script and the stdout its ``#>`` lines promise.
    """
    script, expected = [], []
    for b in lex(text).python_blocks:
        if b.skip_reason is None:
            script.append(b.source)
            expected += [t for _, t in _expected_lines(b.source)]
    return "\n".join(script), "".join(t + "\n" for t in expected)


def _expected_lines(source: str) -> list[tuple[int, str]]:
    out = []
    for n, ln in enumerate(source.splitlines(), start=1):
        s = ln.strip()
        if s.startswith(OUTPUT_MARK):
            t = s[len(OUTPUT_MARK):]
            out.append((n, t[1:] if t.startswith(" ") else t))
    return out


def _norm(text: str) -> list[str]:
    return [ln.rstrip() for ln in text.splitlines()]


class CheckFailure(AssertionError):
    pass


def run_block(block: Block, namespace: dict, path: str) -> None:
    """Execute one block statement by statement, checking each one's ``#>`` output."""
    __tracebackhide__ = True
    if block.skip_reason is not None:
        pytest.skip(f"{Path(path).name}:{block.line}: {block.skip_reason}")
    if re.search(r"^\s*>>>", block.source, re.M):
        raise CheckFailure(
            f"{path}:{block.line}: '>>>' prompts are not allowed; write plain Python with the "
            f"output as '#>' lines (the copy button would copy the prompts)"
        )
    first = block.line + 1  # page line of the block's first source line
    tree = ast.parse(block.source, filename=path)
    ast.increment_lineno(tree, first - 1)
    stmts = tree.body
    expected: dict[int, list[tuple[int, str]]] = {i: [] for i in range(len(stmts))}
    for n, t in _expected_lines(block.source):
        page_line = first + n - 1
        owners = [i for i, s in enumerate(stmts) if s.lineno <= page_line]
        if not owners:
            raise CheckFailure(f"{path}:{page_line}: '#>' output line before any statement")
        expected[owners[-1]].append((page_line, t))
    for i, stmt in enumerate(stmts):
        code = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec")
        buf = io.StringIO()
        # cwd is the page's folder, as for a reader running the page as a script there:
        # a figure a page saves lands beside it, where the page's Markdown shows it.
        with warnings.catch_warnings(), contextlib.chdir(Path(path).parent):
            for category in WARNINGS_AS_ERRORS:
                warnings.simplefilter("error", category)
            with contextlib.redirect_stdout(buf):
                exec(code, namespace)
        want = [t for _, t in expected[i]]
        got = _norm(buf.getvalue())
        if _norm("\n".join(want)) != got:
            where = expected[i][0][0] if expected[i] else stmt.end_lineno
            diff = "\n".join(
                difflib.unified_diff(want, got, "page (#> lines)", "printed", lineterm="")
            )
            raise CheckFailure(
                f"{path}:{where}: output of the statement at line {stmt.lineno} differs "
                f"from the page\n{diff}"
            )


def _evaluate_block(example) -> None:
    __tracebackhide__ = True
    run_block(example.parsed, example.namespace, example.path)


def _evaluate_directive(example) -> None:
    d: Directive = example.parsed
    if d.reason is None:
        raise CheckFailure(
            f"{example.path}:{d.line}: {d.text!r} is not allowed: write "
            f'<!-- skip: next "why it cannot run" --> (a bare skip would pass while nothing ran)'
        )
    raise CheckFailure(
        f"{example.path}:{d.line}: {d.text!r} is not followed by a python block"
    )


def parse_page(document: Document) -> Iterator[Region]:
    """Sybil parser: one region per python block, one per bad skip directive."""
    page = lex(document.text)
    for d in page.directives:
        if not d.applied:
            yield Region(d.start, d.end, parsed=d, evaluator=_evaluate_directive)
    for b in page.python_blocks:
        yield Region(b.start, b.end, parsed=b, evaluator=_evaluate_block)


def uncollected_fences(path: Path, sybil: Sybil) -> list[int]:
    """Lines of python-ish fences in ``path`` that ``sybil`` collects no example for.

    Found with a looser pattern than the parser's, so a fence the parser misses shows up.
    """
    text = path.read_text(encoding="utf-8")
    fence_lines = {text.count("\n", 0, m.start()) + 1 for m in LOOSE_PYTHONISH.finditer(text)}
    # fences shown inside a longer fence (a page teaching Markdown) are text, not code
    outer = [b for b in lex(text).blocks if not b.python]
    fence_lines = {
        n for n in fence_lines if not any(b.line < n < b.line + b.source.count("\n") + 1 for b in outer)
    }
    document = sybil.parse(path)
    collected = {ex.line for ex in document}
    return sorted(fence_lines - collected)


def fill_outputs(text: str, path: str) -> str:
    """Rewrite every ``#>`` run of a page with what its statements print now.

    A writing aid (``python tests/doccheck.py --fill docs/page.md``): the author reads the
    result before committing; CI then checks it with :func:`run_block`.
    """
    namespace = {"__name__": "__main__"}
    page = lex(text)
    pieces, cursor = [], 0
    for b in page.python_blocks:
        if b.skip_reason is not None:
            continue
        src = [ln for ln in b.source.splitlines() if not ln.strip().startswith(OUTPUT_MARK)]
        tree = ast.parse("\n".join(src), filename=path)
        after: dict[int, list[str]] = {}
        for stmt in tree.body:
            buf = io.StringIO()
            with warnings.catch_warnings(), contextlib.chdir(Path(path).parent):
                for category in WARNINGS_AS_ERRORS:
                    warnings.simplefilter("error", category)
                with contextlib.redirect_stdout(buf):
                    exec(compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec"), namespace)
            out = buf.getvalue().splitlines()
            after[stmt.end_lineno] = [(f"#> {t}" if t.strip() else "#>").rstrip() for t in out]
        new = []
        for n, ln in enumerate(src, start=1):
            new.append(ln)
            new += after.get(n, [])
        body = "".join((b.indent + ln if ln.strip() else "") + "\n" for ln in new)
        pieces += [text[cursor:b.body_start], body]
        cursor = b.body_end
    pieces.append(text[cursor:])
    _reset_globals(namespace)
    return "".join(pieces)


def _reset_globals(namespace: dict) -> None:
    """Undo global settings a page may change, so pages stay independent in one process."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)
    np = sys.modules.get("numpy")
    if np is not None:
        np.set_printoptions()
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


def _script_namespace(namespace: dict) -> None:
    # A script's globals, nothing more: pages may use `if __name__ == "__main__":`.
    namespace["__name__"] = "__main__"


def page_sybil(**kwargs) -> Sybil:
    return Sybil(
        parsers=[parse_page],
        setup=_script_namespace,
        teardown=_reset_globals,
        **kwargs,
    )


def report(docs: Path) -> str:
    """Counts for the closing note: pages, python fences, blocks that run, skips and why."""
    pages = sorted(p for p in docs.rglob("*.md") if not p.relative_to(docs).parts[0].startswith("_"))
    fences = run = 0
    skips = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        fences += len(LOOSE_PYTHONISH.findall(text)) - sum(
            1 for b in lex(text).blocks if not b.python for _ in LOOSE_PYTHONISH.finditer(b.source)
        )
        for b in lex(text).python_blocks:
            if b.skip_reason is None:
                run += 1
            else:
                skips.append(f"  {page.relative_to(docs)}:{b.line}: {b.skip_reason}")
    lines = [
        f"pages: {len(pages)}",
        f"python fences found: {fences}",
        f"blocks run: {run}",
        f"blocks skipped with a reason: {len(skips)}",
        *skips,
        f"fences - skipped = {fences - len(skips)} (must equal blocks run)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":  # python tests/doccheck.py --fill docs/a.md ... | --report
    import argparse

    parser = argparse.ArgumentParser(description="Fill a page's #> lines from a real run, or count blocks.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--fill", nargs="+", type=Path, metavar="PAGE")
    group.add_argument("--report", action="store_true", help="count pages, fences, runs and skips under docs/")
    args = parser.parse_args()
    if args.report:
        print(report(Path(__file__).resolve().parents[1] / "docs"))
        raise SystemExit(0)
    for page_path in args.fill:
        if not page_path.is_file():
            parser.exit(2, f"doccheck: no such page: {page_path}\n")
        old = page_path.read_text(encoding="utf-8")
        new = fill_outputs(old, str(page_path))
        if new != old:
            page_path.write_text(new, encoding="utf-8")
            print(f"updated {page_path}")
