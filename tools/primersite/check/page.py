"""A page as the site builds it, read once: the frozen model every part of the site reads.

:func:`primersite.check.lex.read` makes a :class:`Page` from Markdown; nothing after that
reads the Markdown again. The checker, ``fill``, the downloads, the claims index, the
header and the HTML checks all take their facts from here: the fenced blocks and which of
them run (:meth:`Page.plan`: the blocks, the reader's script, the stdout its ``#>`` lines
promise), each statement's expected output (:attr:`Block.statements`), the skip
directives, the title and the claims with their anchors.

>>> from primersite.check.lex import read
>>> page = read("# Sums\\n\\n```python\\nx = 1 + 1\\nprint(x)\\n#> 2\\n```\\n")
>>> page.title, [s.first for s in page.blocks[0].statements]
('Sums', [4, 5])
>>> page.plan({}).expected_stdout
'2\\n'
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cached_property

from primersite.check.fences import SHELL_LANGS

#: Fence languages the checker runs. Anything else that Pygments colours as Python is refused.
RUNNABLE = {"python", "py", "python3", "py3"}
#: A line of a python block that starts with this is what the statement above it printed.
OUTPUT_MARK = "#>"
#: What a claim can be found to be, and how a reader is told.
VERDICTS = {
    "holds": "Holds",
    "caveat": "Holds, with a caveat",
    "wrong": "Wrong",
    "outdated": "Outdated",
}


@dataclass(frozen=True)
class Skip:
    """Why a block is not run where pages are checked."""

    reason: str
    env: str | None = None  # runs where this environment variable is set
    gpu: bool = False  # needs a CUDA GPU: its output comes from a recorded run


@dataclass(frozen=True)
class Statement:
    """A top-level statement of a block and the ``#>`` lines under it (page lines)."""

    first: int
    last: int
    expected: tuple[tuple[int, str], ...]  # (page line, text)


@dataclass(frozen=True, eq=False)
class Block:
    """One fenced code block of a page, as the build shows it."""

    start: int  # character offsets of the whole fence in the page
    end: int
    line: int  # 1-based page line of the opening fence
    lang: str  # the language superfences reads ('' if none)
    source: str  # dedented body, snippets expanded
    indent: str = ""
    body_start: int = 0  # offsets of the body lines, fences excluded
    body_end: int = 0
    skip: Skip | None = None
    snippets: tuple[str, ...] = ()  # files --8<-- lines included

    @property
    def python(self) -> bool:
        return self.lang.lower() in RUNNABLE

    @property
    def shell(self) -> bool:
        return self.lang.lower() in SHELL_LANGS

    @property
    def gpu(self) -> bool:
        return self.skip is not None and self.skip.gpu

    @property
    def skip_reason(self) -> str | None:
        return self.skip.reason if self.skip else None

    def runs_in(self, environ) -> bool:
        """Whether the block runs where ``environ`` is the environment."""
        return self.skip is None or (self.skip.env is not None and bool(environ.get(self.skip.env)))

    @cached_property
    def expected_lines(self) -> tuple[tuple[int, str], ...]:
        """``(line in the block, text)`` of each ``#>`` output line."""
        found = []
        for n, ln in enumerate(self.source.splitlines(), start=1):
            s = ln.strip()
            if s.startswith(OUTPUT_MARK):
                t = s[len(OUTPUT_MARK) :]
                found.append((n, t[1:] if t.startswith(" ") else t))
        return tuple(found)

    @cached_property
    def statements(self) -> tuple[Statement, ...]:
        """Each top-level statement with the ``#>`` lines it owns: those below it, up to the
        next statement. ``()`` when the block does not parse (a rule says so)."""
        try:
            body = ast.parse(self.source).body
        except SyntaxError:
            return ()
        starts = [self.line + s.lineno for s in body]
        owned: list[list[tuple[int, str]]] = [[] for _ in body]
        for n, text in self.expected_lines:
            owner = sum(start <= self.line + n for start in starts) - 1
            if owner >= 0:  # an output line above every statement is a rule's business
                owned[owner].append((self.line + n, text))
        return tuple(
            Statement(self.line + s.lineno, self.line + s.end_lineno, tuple(o))
            for s, o in zip(body, owned)
        )


@dataclass(frozen=True)
class Directive:
    """A ``<!-- skip: ... -->`` comment and the block it applies to."""

    start: int
    end: int
    line: int
    text: str
    indent: str
    skip: Skip | None  # None: malformed or bare
    block: Block | None = None  # the python block it applies to


def claim_anchor(title: str) -> str:
    """The id a claim's statement is linked to by (the claims page, the claim itself)."""
    return "claim-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


@dataclass(frozen=True)
class Claim:
    """``!!! claim <verdict> "statement"``: a statement people repeat, checked on the page."""

    start: int  # offsets of the claim's first line
    end: int
    line: int
    indent: str
    verdict: str | None
    title: str

    @property
    def anchor(self) -> str:
        return claim_anchor(self.title)


@dataclass(frozen=True)
class Plan:
    """What of a page runs where the environment is a given one, worked out before the run."""

    blocks: tuple[Block, ...]

    @cached_property
    def script(self) -> str:
        """The page as a reader's script: the blocks that run, in order."""
        return "\n".join(b.source for b in self.blocks)

    @cached_property
    def expected_stdout(self) -> str:
        """What the script must print: every ``#>`` line of its blocks, in order."""
        return "".join(t + "\n" for b in self.blocks for _, t in b.expected_lines)

    @property
    def requests(self) -> list[dict]:
        """The blocks as the runner's child takes them: the line each body follows, its code."""
        return [{"line": b.line, "source": b.source} for b in self.blocks]

    def index(self, block: Block) -> int | None:
        """Where ``block`` stands among the blocks that run (None: it does not run)."""
        return next((i for i, b in enumerate(self.blocks) if b is block), None)


@dataclass(frozen=True, eq=False)
class Page:
    """A page: its text and everything read from it."""

    text: str
    meta: dict = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()
    directives: tuple[Directive, ...] = ()
    claims: tuple[Claim, ...] = ()
    title: str | None = None
    title_end: int = 0  # offset just after the title line (0: no title)
    body_start: int = 0  # where the Markdown after the front matter starts
    errors: tuple[str, ...] = ()  # front matter or snippet problems
    uri: str | None = None  # its path under docs/ ("modern/attention.md"), where known
    _plans: dict = field(default_factory=dict, repr=False)

    @cached_property
    def python_blocks(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.python)

    def plan(self, environ) -> Plan:
        """What runs where ``environ`` is the environment (worked out once per environment)."""
        key = tuple(
            (b.skip.env, environ.get(b.skip.env))
            for b in self.python_blocks
            if b.skip and b.skip.env
        )
        if key not in self._plans:
            self._plans[key] = Plan(tuple(b for b in self.python_blocks if b.runs_in(environ)))
        return self._plans[key]
