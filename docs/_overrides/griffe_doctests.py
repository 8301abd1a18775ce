"""A Griffe extension for the API reference (docs/reference/api.md): docstrings read as Markdown.

torchprimer's docstrings are written for two readers: pytest, which runs their ``>>>``
examples (sybil's doctest parser), and this site, which renders them with mkdocstrings.
Two habits of the first render badly as Markdown, so this rewrites them before parsing:

* a ``>>>`` example in the running text (outside a Google-style ``Examples:`` section, which
  Griffe already understands) becomes a fenced ``pycon`` block. Left alone, Markdown reads
  ``>>>`` as three nested block quotes, and an output such as ``[(2, 10), (2, 10)]`` as a
  link reference, which the strict build rejects as an unknown cross-reference.
* Sphinx roles (``:func:`collect```, ``:mod:`torchprimer.render```) become code spans.

Loaded from the ``extensions`` option of the ``:::`` block in docs/reference/api.md. The
source files are not changed; only what the reference page shows.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|mod|class|attr|data|exc|obj|const):`~?([^`]+)`")


def fence_doctests(text: str) -> str:
    """Wrap each unindented ``>>>`` example (prompt lines and their output) in a pycon fence."""
    out: list[str] = []
    in_example = in_fence = False
    for line in text.split("\n"):
        if line.startswith("```"):
            in_fence = not in_fence
        if in_example and not line.strip():
            out.append("```")
            in_example = False
        elif not in_example and not in_fence and line.startswith(">>>"):
            if out and out[-1].strip():
                out.append("")  # a fence needs a blank line before it inside a paragraph
            out.append("```pycon")
            in_example = True
        out.append(line)
    if in_example:
        out.append("```")
    return "\n".join(out)


def markdownify(text: str) -> str:
    return ROLE.sub(r"`\1`", fence_doctests(text))


class DoctestFences(griffe.Extension):
    """Rewrites every docstring of the loaded package once, when its object is created."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdownify(obj.docstring.value)
