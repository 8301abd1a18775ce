"""Reading a page the way the site builds it: fenced blocks, skip directives, front matter.

Every other part of the site machinery (the checker, the runner, the MkDocs hooks, the
downloads) reads pages through :func:`lex`, so what is run, what is shown and what is
counted come from one reading. A fence's info string is parsed with superfences' own
pattern, so ```` ```{.python} ```` or ```` ```.python ```` is Python here exactly when it
is Python on the built page; ``--8<--`` snippet lines inside a fence are expanded the way
``pymdownx.snippets`` expands them, so the block that runs is the block that is shown.

:func:`problems` lists what a page may not do: a fence hidden in an HTML comment, a fence
Pygments would colour as Python that nothing runs, output or ``print(`` in a block that is
not run, a shell block that shows output, a malformed skip.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pymdownx.superfences import RE_NESTED_FENCE_START, get_attrs

#: Fence languages the checker runs. Anything else that Pygments colours as Python is refused.
RUNNABLE = {"python", "py", "python3", "py3"}
OUTPUT_MARK = "#>"
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
SKIP_ANY = re.compile(r"<!--\s*skip\b(?P<rest>.*?)-->", re.S)
SKIP_GOOD = re.compile(
    r'^:\s*next\s+(?:if-missing\s+(?P<env>[A-Z][A-Z0-9_]*)\s+)?"(?P<reason>[^"\n]*\S[^"\n]*)"\s*$'
)
COMMENT = re.compile(r"<!--.*?-->", re.S)
SNIPPET = re.compile(
    r'^(?P<indent>[ \t]*)(?P<escape>;?)--8<--[ \t]+(?P<quote>["\'])(?P<target>[^"\']+)(?P=quote)[ \t]*$'
)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)---[ \t]*\n", re.S)
#: Words a shell block may start a line with: shell blocks list commands and never show output.
SHELL_COMMANDS = {
    "python",
    "python3",
    "pip",
    "pip3",
    "uv",
    "source",
    "torchrun",
    "tensorboard",
    "git",
    "make",
    "mkdir",
    "tar",
    "export",
    "cd",
    "nvidia-smi",
    "set",
    "jupyter",
    "conda",
    "mkdocs",
    "pytest",
    "curl",
    "ls",
    "cp",
}


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


def expand_snippets(body: str, base: Path, errors: list[str], where: str) -> tuple[str, list[str]]:
    """``--8<-- "path"`` lines replaced by the file (paths from ``base``, as pymdownx.snippets reads them)."""
    out, used = [], []
    for line in body.splitlines(keepends=True):
        m = SNIPPET.match(line.rstrip("\n"))
        if m is None or m["escape"]:
            out.append(line)
            continue
        target, _, part = m["target"].partition(":")
        path = base / target
        if not path.is_file():
            errors.append(f"{where}: snippet {m['target']!r} not found under {base}")
            continue
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if part and not part.replace(":", "").isdigit():  # a section between named markers
            marker = re.compile(rf"--8<-- \[(start|end):{re.escape(part)}\]")
            marks = [i for i, t in enumerate(text) if marker.search(t)]
            if len(marks) != 2:
                errors.append(f"{where}: snippet section {part!r} not found in {target}")
                continue
            text = text[marks[0] + 1 : marks[1]]
        elif part:
            first, _, last = part.partition(":")
            text = text[int(first or 1) - 1 : int(last) if last else None]
        text = [t for t in text if "--8<-- [" not in t]  # the markers of other sections
        out += [m["indent"] + t if t.strip() else t for t in text]
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        used.append(target)
    return "".join(out), used


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
            )
        )
    for d in page.directives:
        nxt = next((b for b in page.blocks if b.start > d.end), None)
        if d.reason is not None and nxt is not None and nxt.python:
            between = text[d.end : nxt.start]
            if not between.strip() or between.strip().startswith("==="):
                nxt.skip_reason, nxt.needs_env = d.reason, d.env
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


def _python_highlighted(lang: str) -> bool:
    """True if Pygments colours ``lang`` as Python (or as a Python session or traceback)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return False
    names = {c.__name__ for c in type(lexer).__mro__}
    return bool(
        names
        & {
            "PythonLexer",
            "Python2Lexer",
            "PythonConsoleLexer",
            "PythonTracebackLexer",
            "Python2TracebackLexer",
            "CythonLexer",
            "NumPyLexer",
        }
    )


def _shell_line_problem(line: str) -> str | None:
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None  # an open quote continues on the next line
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words.pop(0)  # VAR=value prefixes
    if not words or words[0] in {"&&", "||", "|"}:
        return None
    command = words[0].rsplit("/", 1)[-1]
    return (
        None
        if command in SHELL_COMMANDS
        else f"{words[0]!r} is not a command this site's shell blocks use"
    )


def problems(page: Page) -> list[str]:
    """What the page may not do, one line each, with the page line."""
    found = list(page.errors)
    for m in COMMENT.finditer(page.text):
        for b in page.blocks:
            if m.start() < b.start < m.end():
                found.append(
                    f"line {b.line}: a code fence inside an HTML comment (it runs but no reader sees it)"
                )
    for b in page.blocks:
        if b.python:
            continue
        where = f"line {b.line}"
        if b.lang and _python_highlighted(b.lang):
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
                problem = line.strip() and _shell_line_problem(line.strip())
                if problem:
                    found.append(
                        f"{where}: shell block line {n}: {problem}; shell blocks show commands, never output"
                    )
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
