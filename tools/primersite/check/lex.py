"""Reading Markdown into a :class:`~primersite.check.page.Page`, the way the site builds it.

* A fence's info string is read with superfences' own pattern, so ```` ```{.python} ```` or
  ```` ```.python ```` is Python here exactly when it is Python on the built page.
* ``--8<--`` lines inside a fence are expanded by ``pymdownx.snippets`` itself (the build's
  own preprocessor), so the block that runs is the block that is shown.
* Skip directives are found by sybil's lexer for directives in HTML comments; their
  arguments follow this site's grammar (:data:`SKIP_ARGUMENTS`), which is stricter than
  sybil's skip parser: a skip is decided when the page is read (for the script, the header
  and the downloads), needs a reason, and applies only to the python block right after it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import markdown
import yaml
from pymdownx.snippets import SnippetExtension, SnippetMissingError, SnippetPreprocessor
from pymdownx.superfences import RE_NESTED_FENCE_START, get_attrs
from sybil import Document
from sybil.parsers.abstract.lexers import LexingException
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer

from primersite import ROOT
from primersite.check.page import Block, Claim, Directive, Page, Skip
from primersite.errors import first_line

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)---[ \t]*\n", re.S)
TITLE = re.compile(r"^# (?P<title>.+)$", re.M)
CLAIM = re.compile(
    r'^(?P<indent>[ \t]*)!!! claim(?: (?P<verdict>[\w-]+))?(?: +"(?P<title>.*)")?[ \t]*$', re.M
)
#: next "why" | next if-missing ENV "why" | next gpu "why" (run and recorded on a GPU machine)
SKIP_ARGUMENTS = re.compile(
    r"^next\s+(?:(?P<gpu>gpu)\s+|if-missing\s+(?P<env>[A-Z][A-Z0-9_]*)\s+)?"
    r'"(?P<reason>[^"\n]*\S[^"\n]*)"$'
)
_SKIPS = DirectiveInHTMLCommentLexer(directive=r"skip\b")
_COMMENT_END = re.compile(r"--+>")
#: The site's pages: a page read from here knows its place, and so where its links lead.
DOCS = ROOT / "docs"


def read(text: str, *, snippet_base: Path | None = None, uri: str | None = None) -> Page:
    """The page ``text`` (``--8<--`` snippets read from ``snippet_base``, not expanded without);
    ``uri``, its path under docs/, is what its links are read from."""
    errors: list[str] = []
    meta, body = _front_matter(text, errors)
    blocks = _fences(text, body, snippet_base, errors)
    directives, blocks = _skips(text, blocks, errors)
    inside = [(b.start, b.end) for b in blocks]

    def outside(m: re.Match) -> bool:
        return not any(s <= m.start() < e for s, e in inside)

    title = next((m for m in TITLE.finditer(text, body) if outside(m)), None)
    claims = tuple(
        Claim(m.start(), m.end(), _line(text, m.start()), m["indent"], m["verdict"], _title(m))
        for m in CLAIM.finditer(text)
        if outside(m)
    )
    return Page(
        text,
        meta,
        tuple(blocks),
        tuple(directives),
        claims,
        title["title"].strip() if title else None,
        title.end() if title else 0,
        body,
        tuple(errors),
        uri,
    )


def read_page(path: Path, root: Path | None = None) -> Page:
    """:func:`read` of a page file; snippets are read from ``root`` (the checkout, as MkDocs runs there)."""
    return read(Path(path).read_text(encoding="utf-8"), snippet_base=root, uri=docs_uri(path))


def docs_uri(path: Path | str) -> str | None:
    """``path``'s place among the site's pages ("modern/attention.md"); None outside docs/."""
    try:
        return Path(path).resolve().relative_to(DOCS.resolve()).as_posix()
    except ValueError:
        return None


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _title(m: re.Match) -> str:
    return (m["title"] or "").strip()


def _front_matter(text: str, errors: list[str]) -> tuple[dict, int]:
    """The page's YAML front matter and where the Markdown after it starts."""
    fm = FRONT_MATTER.match(text)
    if fm is None:
        return {}, 0
    try:
        meta = yaml.safe_load(fm["yaml"]) or {}
    except yaml.YAMLError as err:
        errors.append(f"front matter is not valid YAML: {first_line(err)}")
        meta = {}
    return (meta if isinstance(meta, dict) else {}), fm.end()


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


def _fences(text: str, body: int, base: Path | None, errors: list[str]) -> list[Block]:
    """Fenced blocks: top level, or indented in admonitions and tabs."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    blocks, i = [], text.count("\n", 0, body)
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i].rstrip("\n"))
        if m is None or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        fence, indent = m["fence"], m["indent"]
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j].rstrip("\n")):
            j += 1
        source = "".join(_dedent(ln, indent) for ln in lines[i + 1 : j])
        used: tuple[str, ...] = ()
        if base is not None and "8<" in source:
            source, used = expand_snippets(source, base, errors, f"line {i + 1}")
        end = offsets[min(j + 1, len(lines))]
        lang = fence_lang(m["info"])
        blocks.append(
            Block(
                offsets[i], end, i + 1, lang, source, indent, offsets[i + 1], offsets[j], None, used
            )
        )
        i = j + 1
    return blocks


class _Snippets(SnippetPreprocessor):
    """pymdownx.snippets' own expansion, noting which files it included."""

    def process_snippet_lines(self, lines, target):
        self.used.append(target["path"])
        return lines


@functools.lru_cache(maxsize=4)
def _snippets(base: str) -> _Snippets:
    config = SnippetExtension(base_path=[base], check_paths=True).getConfigs()
    return _Snippets(config, markdown.Markdown())


def expand_snippets(source: str, base: Path, errors: list[str], where: str):
    """``source`` with its ``--8<--`` lines expanded from ``base``, and the files they read."""
    snippets = _snippets(str(base))
    snippets.used = []
    try:
        lines = snippets.run(source.split("\n"))
    except SnippetMissingError as err:
        errors.append(f"{where}: {err} (under {base})")
        return source, ()
    return "\n".join(lines), tuple(snippets.used)


def is_snippet_line(line: str) -> bool:
    """Whether pymdownx.snippets would replace ``line`` with a file's contents."""
    m = SnippetPreprocessor.RE_ALL_SNIPPETS.match(line)
    return m is not None and not m["escape"] and m["inline_marker"] is not None


def _skips(text: str, blocks: list[Block], errors: list[str]):
    """The skip directives, and the blocks with each well-formed one attached to the python
    block it precedes."""
    try:
        regions = list(_SKIPS(Document(text, "<page>")))
    except LexingException as err:
        errors.append(f"a skip directive without its closing '-->': {first_line(err)}")
        regions = []
    inside = [(b.start, b.end) for b in blocks]
    directives = []
    for region in regions:
        if any(s <= region.start < e for s, e in inside):
            continue  # a skip shown inside a code block is an example, not a directive
        end = _COMMENT_END.search(text, region.end).end()
        skip = _skip(f"{region.lexemes['arguments']}\n{region.lexemes['source']}")
        target = _next_python_block(text, blocks, end) if skip else None
        if target is not None:
            blocks[target] = dataclasses.replace(blocks[target], skip=skip)
        comment = text[region.start : end]
        indent = comment[: len(comment) - len(comment.lstrip(" \t"))]
        applies = blocks[target] if target is not None else None
        line = _line(text, region.start)
        directives.append(
            Directive(region.start, end, line, comment.strip(), indent, skip, applies)
        )
    return directives, blocks


def _skip(arguments: str) -> Skip | None:
    """The skip the arguments describe (None: not this site's grammar)."""
    good = SKIP_ARGUMENTS.match(arguments.strip())
    return Skip(good["reason"], good["env"], bool(good["gpu"])) if good else None


def _next_python_block(text: str, blocks: list[Block], end: int) -> int | None:
    """The block a directive ending at ``end`` applies to: the next block, when it is python
    and only blank lines or a tab's title stand between them."""
    target = next((i for i, b in enumerate(blocks) if b.start > end), None)
    if target is None or not blocks[target].python:
        return None
    between = text[end : blocks[target].start].strip()
    return target if not between or between.startswith("===") else None
