"""What a page links to, as the checks read it: the site's other pages and the example
notebooks, each read once per process.

A page's links are read from its place under docs/ (``Page.uri``); a page read from
elsewhere (a test's small page) links to nothing this module can read.

>>> from primersite.check.lex import read
>>> linked_uris(read("[a](../examples/x.ipynb#s) [b](first-steps.md) [c](https://x.org/y.md)",
...                  uri="tensors/devices.md"))
['examples/x.ipynb', 'tensors/first-steps.md']
"""

from __future__ import annotations

import functools
import json
import posixpath
import re

from primersite.check.lex import DOCS, read_page
from primersite.check.page import Page

#: A Markdown link to a page or notebook of the site: its target, without the anchor.
LINK = re.compile(r"\]\((?P<target>[^)\s#:]+\.(?:md|ipynb))(?P<anchor>#[^)\s]*)?\)")


def resolve(page: Page, target: str) -> str | None:
    """The docs/ path a link of ``page`` leads to (None: the page's place is unknown)."""
    if page.uri is None:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(page.uri), target))


def linked_uris(page: Page) -> list[str]:
    """The site's pages and notebooks ``page`` links to, in order, once each."""
    found = [resolve(page, m["target"]) for m in LINK.finditer(page.text)]
    return list(dict.fromkeys(u for u in found if u is not None))


@functools.cache
def site_page(uri: str) -> Page | None:
    """The page at ``uri`` under docs/, read as the checker reads it (None: no such page)."""
    path = DOCS / uri
    return read_page(path, DOCS.parent) if path.is_file() and uri.endswith(".md") else None


@functools.cache
def notebook(uri: str) -> tuple[str, tuple[str, ...]]:
    """``(outputs, code cells)`` of the example notebook at ``uri``: the text its cells
    printed or showed (tables as their text), and the source of each code cell."""
    path = DOCS / uri
    if not path.is_file():
        return "", ()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    outputs, code = [], []
    for cell in (c for c in cells if c["cell_type"] == "code"):
        code.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for text in (out.get("text"), data.get("text/plain"), data.get("text/html")):
                if text:
                    outputs.append(re.sub(r"<[^>]+>", " ", "".join(text)))
    return "\n".join(outputs), tuple(code)
