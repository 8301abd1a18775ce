"""Reading a page the way the site builds it: fenced blocks, skip directives, front matter.

Every other part of the site machinery (the checker, the runner, the MkDocs hooks, the
downloads) reads pages through :func:`lex`, so what is run, what is shown and what is
counted come from one reading. A fence's info string is parsed with superfences' own
pattern, so ```` ```{.python} ```` or ```` ```.python ```` is Python here exactly when it
is Python on the built page; ``--8<--`` snippet lines inside a fence are expanded the way
``pymdownx.snippets`` expands them, so the block that runs is the block that is shown.

:func:`problems` lists what a page may not do: a fence hidden in an HTML comment, a fence
Pygments would colour as Python that nothing runs, output or ``print(`` in a block that is
not run, a shell block that shows output, a malformed skip, a GPU block that uses a name it
does not define (it is recorded on its own: see :mod:`primersite.gpu_blocks`).

Skip directives: ``<!-- skip: next "why" -->`` (never run), ``<!-- skip: next if-missing
ENV "why" -->`` (run where ``$ENV`` is set), ``<!-- skip: next gpu "why" -->`` (needs a
CUDA GPU: run and recorded on a GPU machine, checked against that record).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pymdownx.superfences import RE_NESTED_FENCE_START, get_attrs

from primersite.fence_langs import python_highlighted, shell_line_problem
from primersite.selfcontained import gpu_block_problems
from primersite.snippets import SNIPPET, expand_snippets

# the name the site's tests know it by
_python_highlighted = python_highlighted

#: Fence languages the checker runs. Anything else that Pygments colours as Python is refused.
RUNNABLE = {"python", "py", "python3", "py3"}
OUTPUT_MARK = "#>"
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
SKIP_ANY = re.compile(r"<!--\s*skip\b(?P<rest>.*?)-->", re.S)
# next "why" | next if-missing ENV "why" | next gpu "why" (run and recorded on a GPU machine)
SKIP_GOOD = re.compile(
    r"^:\s*next\s+(?:(?P<gpu>gpu)\s+|if-missing\s+(?P<env>[A-Z][A-Z0-9_]*)\s+)?"
    r'"(?P<reason>[^"\n]*\S[^"\n]*)"\s*$'
)
COMMENT = re.compile(r"<!--.*?-->", re.S)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)---[ \t]*\n", re.S)


@dataclass
class Block:
    """One fenced code block of a page, as the build shows it."""

    start: int  # character offsets of the whole fence in the page
    end: int
    line: int  # 1-based page line of the opening fence
    lang: str  # the language superfences reads ('' if none)
    info: str
    source: str  # dedented body, snippets expanded
    indent: str = ""
    body_start: int = 0  # offsets of the body lines, fences excluded
    body_end: int = 0
    skip_reason: str | None = None
    needs_env: str | None = None  # runs only where this environment variable names a path
    gpu: bool = (
        False  # needs a CUDA GPU: its output comes from a recorded run (primersite.gpu_check)
    )
    snippets: list[str] = field(default_factory=list)

    @property
    def python(self) -> bool:
        return self.lang.lower() in RUNNABLE


@dataclass
class Directive:
    start: int
    end: int
    line: int
    reason: str | None  # None: malformed or bare
    env: str | None
    text: str
    applied: bool = False
    gpu: bool = False


@dataclass
class Page:
    text: str
    meta: dict = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # front matter or snippet problems

    @property
    def python_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.python]

    def runs(self, environ: dict[str, str]) -> list[Block]:
        """The python blocks that run where ``environ`` is the environment, in page order."""
        return [
            b
            for b in self.python_blocks
            if b.skip_reason is None or (b.needs_env is not None and environ.get(b.needs_env))
        ]


def fence_lang(info: str) -> str:
    """The language superfences gives a fence with this info string ('' when it has none)."""
    m = RE_NESTED_FENCE_START.match("```" + info.strip())
    if m is None:
        return ""
    if m.group("lang"):
        return m.group("lang")
    if m.group("attrs"):
        classes = [v for k, v in get_attrs(m.group("attrs")) if k == "."]
        return classes[0] if classes else ""
    return ""


def _dedent(line: str, indent: str) -> str:
    n = 0
    while n < len(indent) and n < len(line) and line[n] in " \t":
        n += 1
    return line[n:]


def _front_matter(page: Page, text: str) -> re.Match | None:
    """Read the page's YAML front matter into ``page.meta``; return its match (or None)."""
    fm = FRONT_MATTER.match(text)
    if fm:
        try:
            meta = yaml.safe_load(fm["yaml"]) or {}
        except yaml.YAMLError as err:
            page.errors.append(f"front matter is not valid YAML: {str(err).splitlines()[0]}")
            meta = {}
        page.meta = meta if isinstance(meta, dict) else {}
    return fm


def _attach_skips(page: Page, text: str) -> None:
    """Collect the skip directives and attach each well-formed one to the block it precedes."""
    inside = [(b.start, b.end) for b in page.blocks]
    for m in SKIP_ANY.finditer(text):
        if any(s <= m.start() < e for s, e in inside):
            continue  # a skip shown inside a code block is an example, not a directive
        good = SKIP_GOOD.match(m["rest"].strip())
        page.directives.append(
            Directive(
                m.start(),
                m.end(),
                text.count("\n", 0, m.start()) + 1,
                good["reason"] if good else None,
                good["env"] if good else None,
                m.group(0),
                gpu=bool(good and good["gpu"]),
            )
        )
    for d in page.directives:
        nxt = next((b for b in page.blocks if b.start > d.end), None)
        if d.reason is not None and nxt is not None and nxt.python:
            between = text[d.end : nxt.start]
            if not between.strip() or between.strip().startswith("==="):
                nxt.skip_reason, nxt.needs_env, nxt.gpu = d.reason, d.env, d.gpu
                d.applied = True


def lex(text: str, *, snippet_base: Path | None = None) -> Page:
    """Find front matter, fenced blocks (top level, or indented in admonitions and tabs) and skips."""
    page = Page(text)
    fm = _front_matter(page, text)
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    i = text.count("\n", 0, fm.end()) if fm else 0
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
        used: list[str] = []
        if snippet_base is not None and "--8<--" in body:
            body, used = expand_snippets(body, snippet_base, page.errors, f"line {i + 1}")
        page.blocks.append(
            Block(
                offsets[i],
                offsets[min(j + 1, len(lines))],
                i + 1,
                fence_lang(info),
                info,
                body,
                indent,
                offsets[i + 1],
                offsets[j],
                snippets=used,
            )
        )
        i = j + 1
    _attach_skips(page, text)
    return page


def read_page(path: Path, root: Path | None = None) -> Page:
    """:func:`lex` of a page file; snippets are read from ``root`` (the repository, as MkDocs runs there)."""
    return lex(Path(path).read_text(encoding="utf-8"), snippet_base=root)


def expected_lines(source: str) -> list[tuple[int, str]]:
    """``(line in the block, text)`` of each ``#>`` output line of a block."""
    out = []
    for n, ln in enumerate(source.splitlines(), start=1):
        s = ln.strip()
        if s.startswith(OUTPUT_MARK):
            t = s[len(OUTPUT_MARK) :]
            out.append((n, t[1:] if t.startswith(" ") else t))
    return out


def page_script(page: Page, environ: dict[str, str] | None = None) -> tuple[str, str]:
    """The page as a reader's script (the python blocks that run, in order) and the stdout its ``#>`` lines promise."""
    script, expected = [], []
    for b in page.runs(environ or {}):
        script.append(b.source)
        expected += [t for _, t in expected_lines(b.source)]
    return "\n".join(script), "".join(t + "\n" for t in expected)


def _fence_problems(page: Page) -> list[str]:
    """Blocks that are not run but look as if they were, and shell blocks that show output."""
    found = []
    for b in page.blocks:
        if b.python:
            continue
        where = f"line {b.line}"
        if b.lang and python_highlighted(b.lang):
            found.append(f"{where}: ```{b.lang} is shown as Python but is not run; write ```python")
        elif OUTPUT_MARK in b.source or "print(" in b.source:
            if b.lang.lower() not in {"markdown", "md"} or OUTPUT_MARK in b.source:
                found.append(
                    f"{where}: a ```{b.lang or '(no language)'} block with '#>' or 'print(' is not run, "
                    "so its output is unchecked; make it a ```python block"
                )
        if b.lang.lower() in {"bash", "sh", "shell", "console", "zsh"}:
            joined = re.sub(r"\\\n", " ", b.source)
            for n, line in enumerate(joined.splitlines(), start=1):
                problem = line.strip() and shell_line_problem(line.strip())
                if problem:
                    found.append(
                        f"{where}: shell block line {n}: {problem}; shell blocks show commands, never output"
                    )
    return found


def problems(page: Page) -> list[str]:
    """What the page may not do, one line each, with the page line."""
    found = list(page.errors)
    for m in COMMENT.finditer(page.text):
        for b in page.blocks:
            if m.start() < b.start < m.end():
                found.append(
                    f"line {b.line}: a code fence inside an HTML comment (it runs but no reader sees it)"
                )
    found += _fence_problems(page) + gpu_block_problems(page.python_blocks)
    for d in page.directives:
        if d.reason is None:
            found.append(
                f'line {d.line}: {d.text!r} is not allowed: write <!-- skip: next "why it cannot run" --> '
                "(a bare skip would pass while nothing ran)"
            )
        elif not d.applied:
            found.append(f"line {d.line}: {d.text!r} is not followed by a python block")
    for b in page.blocks:
        if b.python and re.search(r"^\s*>>>", b.source, re.M):
            found.append(
                f"line {b.line}: '>>>' prompts are not allowed; write plain Python with the output as "
                "'#>' lines (the copy button would copy the prompts)"
            )
    text_outside = page.text
    for b in reversed(page.blocks):
        text_outside = text_outside[: b.start] + text_outside[b.end :]
    if any(
        SNIPPET.match(ln) and not SNIPPET.match(ln)["escape"] for ln in text_outside.splitlines()
    ):
        found.append(
            "a --8<-- snippet outside a code block: its blocks would not be checked; "
            "include code inside a ```python fence"
        )
    return found
