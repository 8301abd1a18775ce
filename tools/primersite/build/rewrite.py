"""A page's Markdown as the site shows it: the page's text, edited at the places its model
found (nothing here reads the Markdown again).

* under the title, the header (:mod:`primersite.build.header`);
* each skip directive becomes the note that says why its block did not run
  (:mod:`primersite.build.notes`);
* each claim becomes "You may read: ..." with its verdict (:mod:`primersite.build.claims`).

>>> from primersite.check.lex import read
>>> apply("abcdef", [(1, 2, "B"), (4, 4, "-")])
'aBcd-ef'
"""

from __future__ import annotations

from primersite.build.claims import claim_markdown
from primersite.build.header import header
from primersite.build.notes import recorded, skip_note
from primersite.check.page import Page


def apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each ``(start, end, replacement)`` made (the spans do not overlap)."""
    pieces, cursor = [], 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
        pieces += [text[cursor:start], replacement]
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def page_markdown(
    page: Page,
    src_uri: str,
    *,
    versions: dict[str, str],
    records: dict[str, dict],
    builds_on: list[tuple[str, str]],
    wheel: str,
) -> str:
    """The Markdown MkDocs renders for ``page`` (its front matter left out, as MkDocs does)."""
    edits = [(c.start, c.end, claim_markdown(c, src_uri)) for c in page.claims]
    for d in page.directives:
        note = skip_note(d, records)
        if note is not None:
            edits.append((d.start, d.end, note))
    top = header(
        page,
        src_uri,
        versions,
        recorded=recorded(page, records),
        builds_on=builds_on,
        wheel=wheel,
    )
    if page.meta.get("header") == "end":  # a page whose first screen is for something else
        at = len(page.text)
        edits.append((at, at, "\n\n" + top))
    else:
        at = page.title_end or page.body_start
        edits.append((at, at, "\n\n" + top if page.title_end else top + "\n"))
    return apply(page.text, edits)[page.body_start :].lstrip("\n")
