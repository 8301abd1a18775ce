r"""A Griffe extension for the API reference (docs/reference/api.md): docstrings read as Markdown.

torchprimer's docstrings are written for two readers: pytest, which runs their ``>>>``
examples (sybil's doctest parser), and this site, which renders them with mkdocstrings.
Before the site parses a docstring this rewrites two habits of the first:

* a ``>>>`` example (prompt lines and the output under them) becomes a fenced Python block
  in the site's own style: the prompts go and each output line becomes a ``#>`` comment, so
  the copy button gives code that runs as it is. Left alone, Markdown would read ``>>>``
  as three nested block quotes.
* Sphinx roles (``:func:`collect```, ``:mod:`primersite.render```) become code spans.

Loaded from the ``extensions`` option of the ``:::`` block in docs/reference/api.md. The
source files are not changed; only what the reference page shows.

>>> print(fence_doctests("Adds.\n\n>>> 1 + 1\n2\n>>> for i in range(2):\n...     print(i)\n0\n1\n"))
Adds.
<BLANKLINE>
```python
1 + 1
#> 2
for i in range(2):
    print(i)
#> 0
#> 1
```
<BLANKLINE>
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|mod|class|attr|data|exc|obj|const):`~?([^`]+)`")


def fence_doctests(text: str) -> str:
    """Turn each ``>>>`` example (prompt lines and their output) into a python fence with ``#>`` output."""
    out: list[str] = []
    in_example = in_fence = False
    code_before = False  # the line before was code, so a bare "..." continues it
    for line in text.split("\n"):
        if not in_example and line.startswith("```"):
            in_fence = not in_fence
        if in_example and not line.strip():
            out.append("```")
            in_example = False
        elif not in_example and not in_fence and line.startswith(">>>"):
            if out and out[-1].strip():
                out.append("")  # a fence needs a blank line before it inside a paragraph
            out.append("```python")
            in_example = True
        if not in_example:
            out.append(line)
            continue
        if line.startswith(">>>") or (code_before and (line.startswith("... ") or line == "...")):
            out.append(line[4:])
            code_before = True
        else:
            output = "" if line.strip() == "<BLANKLINE>" else line
            out.append(f"#> {output}".rstrip())
            code_before = False
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
