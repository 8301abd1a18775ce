"""The table of examples on ``examples/index.md``, from what each script declares: its
title (the first Markdown cell's heading) and its one-line summary
(:mod:`primersite.render.examples`). An example without a rendered notebook is left out:
there is no page to link to yet.

>>> from pathlib import Path
>>> from primersite.render.examples import Example
>>> demo = Example("demo", Path("demo.py"), title="A demo: small", summary="it runs")
>>> print(examples_table([demo], rendered={"demo"}))
| Example | What it shows |
|---|---|
| [A demo](demo.ipynb) | it runs |
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Iterable

from primersite.render.examples import Example


def examples_table(examples: Iterable[Example], rendered: set[str]) -> str:
    """A Markdown table of ``examples`` (in the order given) that have a rendered notebook."""
    rows = ["| Example | What it shows |", "|---|---|"]
    for ex in examples:
        if ex.name in rendered:
            label = ex.title.split(": ")[0]  # the title's head; the rest is the summary's job
            rows.append(f"| [{label}]({ex.name}.ipynb) | {ex.summary.replace('|', '&#124;')} |")
    return "\n".join(rows) + "\n"
