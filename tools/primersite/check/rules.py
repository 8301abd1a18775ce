"""What a page may not do: one rule a function, each saying what is wrong, with the page line.

This is the place to add a check on a page. A rule takes the page model
(:class:`~primersite.check.page.Page`) and yields one line per problem, starting with
``line N:`` where it has a line; add the function to :data:`RULES`, and add a test that
plants the mistake in a small page (``tests/test_checker.py``). Every page's text item
runs every rule (``make check PAGE=...`` shows them too); what a rule refuses, and why,
belongs on ``docs/about/verified.md``. A check that needs the page's run is a verdict
instead (:mod:`primersite.check.verdicts`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from primersite.check import numbers
from primersite.check.fences import python_highlighted, shell_line_problem
from primersite.check.lex import is_snippet_line
from primersite.check.linked import LINK, linked_uris, notebook, resolve, site_page
from primersite.check.page import OUTPUT_MARK, VERDICTS, Page
from primersite.check.pagelint import lint_problems
from primersite.check.restated import claim_links, restated_claims
from primersite.check.selfcontained import undefined_names

COMMENT = re.compile(r"<!--.*?-->", re.S)


def read_errors(page: Page) -> Iterator[str]:
    """Front matter that is not YAML, a snippet that is not there."""
    yield from page.errors


def fences_in_comments(page: Page) -> Iterator[str]:
    for m in COMMENT.finditer(page.text):
        for b in page.blocks:
            if m.start() < b.start < m.end():
                yield f"line {b.line}: a code fence inside an HTML comment (it runs but no reader sees it)"


def unrun_code(page: Page) -> Iterator[str]:
    """Blocks that are not run but look as if they were."""
    for b in page.blocks:
        if b.python:
            continue
        if b.lang and python_highlighted(b.lang):
            yield f"line {b.line}: ```{b.lang} is shown as Python but is not run; write ```python"
        elif OUTPUT_MARK in b.source or "print(" in b.source:
            if b.lang.lower() not in {"markdown", "md"} or OUTPUT_MARK in b.source:
                yield (
                    f"line {b.line}: a ```{b.lang or '(no language)'} block with '#>' or 'print(' "
                    "is not run, so its output is unchecked; make it a ```python block"
                )


def shell_output(page: Page) -> Iterator[str]:
    """Shell blocks show commands, never output."""
    for b in (b for b in page.blocks if b.shell):
        joined = re.sub(r"\\\n", " ", b.source)
        for n, line in enumerate(joined.splitlines(), start=1):
            problem = line.strip() and shell_line_problem(line.strip())
            if problem:
                yield (
                    f"line {b.line}: shell block line {n}: {problem}; shell blocks show commands, "
                    "never output"
                )


def unparsable(page: Page) -> Iterator[str]:
    for b in page.python_blocks:
        try:
            ast.parse(b.source)
        except SyntaxError as err:
            yield f"line {b.line + (err.lineno or 1)}: a python block that does not parse: {err.msg}"


def stray_output(page: Page) -> Iterator[str]:
    """A ``#>`` line above every statement of its block belongs to nothing."""
    for b in page.python_blocks:
        first = b.statements[0].first if b.statements else None
        for n, _ in b.expected_lines:
            if first is None or b.line + n < first:
                yield f"line {b.line + n}: '#>' output line before any statement"


def gpu_blocks_self_contained(page: Page) -> Iterator[str]:
    """A GPU block is recorded on its own, in a fresh interpreter (primersite.render.gpu_blocks)."""
    for b in (b for b in page.python_blocks if b.gpu and b.statements):
        for n, name in undefined_names(b.source):
            yield (
                f"line {b.line + n}: a GPU block is recorded on its own in a fresh interpreter; "
                f"it uses `{name}`, which it does not define"
            )


def skip_directives(page: Page) -> Iterator[str]:
    for d in page.directives:
        if d.skip is None:
            yield (
                f'line {d.line}: {d.text!r} is not allowed: write <!-- skip: next "why it cannot run" --> '
                "(a bare skip would pass while nothing ran)"
            )
        elif d.block is None:
            yield f"line {d.line}: {d.text!r} is not followed by a python block"


def prompts(page: Page) -> Iterator[str]:
    for b in page.python_blocks:
        if re.search(r"^\s*>>>", b.source, re.M):
            yield (
                f"line {b.line}: '>>>' prompts are not allowed; write plain Python with the output "
                "as '#>' lines (the copy button would copy the prompts)"
            )


def snippets_outside_fences(page: Page) -> Iterator[str]:
    outside = page.text
    for b in reversed(page.blocks):
        outside = outside[: b.start] + outside[b.end :]
    if any(is_snippet_line(ln) for ln in outside.splitlines()):
        yield (
            "a --8<-- snippet outside a code block: its blocks would not be checked; "
            "include code inside a ```python fence"
        )


def claims(page: Page) -> Iterator[str]:
    for c in page.claims:
        if c.verdict not in VERDICTS or not c.title:
            yield (
                f"line {c.line}: a claim needs a verdict ({', '.join(VERDICTS)}) and a statement: "
                f'!!! claim <verdict> "statement"'
            )


def untied_numbers(page: Page) -> Iterator[str]:
    """A number in prose that restates an output is tied to one (primersite.check.numbers):
    to the page's outputs, to those of an example notebook the page links to, or to those of
    a page its paragraph links to."""
    stated = numbers.stated_numbers(page)
    if not stated:
        return
    text = page.text
    outputs, code = [numbers.page_outputs(page)], numbers.page_code(page)
    for uri in linked_uris(page):
        if uri.endswith(".ipynb"):
            shown, cells = notebook(uri)
            outputs.append(shown)
            code |= {v for cell in cells for v in numbers.code_values(cell)}
    values = numbers.output_values("\n".join(outputs))
    marked = numbers.directive_spans(text)
    for n in stated:
        if (
            numbers.tied(n, values)
            or numbers.named_in_code(n, code)
            or numbers.names_its_source(text, n)
            or any(start <= n.start < end for start, end, _ in marked)
            or _quoted_from_a_linked_page(page, n)
        ):
            continue
        yield (
            f"line {n.line}: {n.text} is in no output of this page, of a notebook it links to "
            "or of a page its paragraph links to: tie it to an output, name its source in its "
            'sentence (a footnote or a link), or mark its paragraph <!-- numbers: next "why" -->'
        )


def _quoted_from_a_linked_page(page: Page, n: numbers.Stated) -> bool:
    """Whether a page the number's paragraph links to shows it in an output or its code."""
    start, end = numbers.paragraph_of(page.text, n.start)
    for m in LINK.finditer(page.text, start, end):
        uri = resolve(page, m["target"])
        other = site_page(uri) if uri and uri.endswith(".md") else None
        if other is not None and (
            numbers.tied(n, numbers.output_values(numbers.page_outputs(other)))
            or numbers.named_in_code(n, numbers.page_code(other))
        ):
            return True
    return False


#: Every rule a page's text must pass, in the order their problems are listed.
RULES: list[Callable[[Page], Iterator[str]]] = [
    read_errors,
    fences_in_comments,
    unrun_code,
    shell_output,
    unparsable,
    stray_output,
    gpu_blocks_self_contained,
    skip_directives,
    prompts,
    snippets_outside_fences,
    claims,
    claim_links,
    restated_claims,
    untied_numbers,
    lint_problems,
]


def problems(page: Page) -> list[str]:
    """What the page may not do, one line each, with the page line."""
    return [problem for rule in RULES for problem in rule(page)]
