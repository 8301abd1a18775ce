"""One compact header under each page's title: what was verified (linking to how), what the
page builds on, and the page as a script and a notebook, with what its code needs.

>>> from primersite.check.lex import read
>>> page = read("# Sums\\n\\n```python\\nimport numpy\\nprint(1 + 1)\\n#> 2\\n```\\n")
>>> versions = {"torch": "2.14.1", "torchvision": "0.29.1", "python": "3.11"}
>>> print(header(page, "basics/sums.md", versions, builds_on=[("Tensors", "tensors.md")]))
<p class="primer-header" markdown>**Verified:** its code block ran as a script and printed what it shows, with torch 2.14.1, torchvision 0.29.1 and Python 3.11 on a CPU ([how](../about/verified.md)). **Builds on** [Tensors](../tensors.md). **Run it yourself:** [sums.py](sums.py) or [sums.ipynb](sums.ipynb), with `numpy` (`pip install numpy`).</p>
<BLANKLINE>
"""

from __future__ import annotations

import ast
import sys
from pathlib import PurePosixPath

from primersite.check.page import Page

#: import name -> what to pip install, for the names that differ
PIP_NAMES = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "PIL": "pillow",
    "yaml": "PyYAML",
}
WHEEL = "torchprimer"


def relative(src_uri: str, target: str) -> str:
    """A link from page ``src_uri`` to docs-relative ``target``, as Markdown wants it."""
    return "../" * src_uri.count("/") + target


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verified(page: Page, src_uri: str, versions: dict[str, str], recorded: int = 0) -> str:
    """What the checker ran, with which versions."""
    how = relative(src_uri, "about/verified.md")
    with_ = (
        f"torch {versions['torch']}, torchvision {versions['torchvision']} and "
        f"Python {versions['python']} on a CPU ([how]({how}))"
    )
    python = page.python_blocks
    ran = sum(b.skip is None for b in python)
    others = len(python) - ran
    if not python:
        text = f"no code to run here; built with {with_}."
    elif not others:
        what = (
            "its code block ran as a script and printed what it shows"
            if ran == 1
            else f"all {ran} code blocks ran as one script and printed what they show"
        )
        text = f"{what}, with {with_}."
    else:
        say = (
            "the other one says why where it stands"
            if others == 1
            else (f"the other {others} say why where they stand")
        )
        gpu = f", {recorded} with output recorded on a GPU" if recorded else ""
        text = (
            f"{ran} of the {len(python)} code blocks ran as one script and printed what they "
            f"show, with {with_}; {say}{gpu}."
        )
    shell = sum(b.shell for b in page.blocks)
    if shell:
        shows = "shows" if shell == 1 else "show"
        text += f" Its {_plural(shell, 'shell block')} {shows} commands to type, not run."
    return "**Verified:** " + text


def needs(page: Page) -> list[str]:
    """What to pip install for the page's code: the packages its blocks import."""
    names: set[str] = set()
    for b in page.python_blocks:
        try:
            tree = ast.parse(b.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    third_party = names - set(sys.stdlib_module_names) - {"__future__"}
    return sorted(PIP_NAMES.get(n, n) for n in third_party)


def _run_it(page: Page, src_uri: str, wheel: str) -> str:
    stem = PurePosixPath(src_uri).stem
    text = f"**Run it yourself:** [{stem}.py]({stem}.py) or [{stem}.ipynb]({stem}.ipynb)"
    packages = needs(page)
    if not packages:
        return text + "."
    plain = [p for p in packages if p != WHEEL]
    how = [f"`pip install {' '.join(plain)}`"] if plain else []
    if WHEEL in packages:
        how.append(f"this site's package: [{wheel}]({relative(src_uri, 'downloads/' + wheel)})")
    return f"{text}, with {', '.join(f'`{p}`' for p in packages)} ({'; '.join(how)})."


def header(
    page: Page,
    src_uri: str,
    versions: dict[str, str],
    *,
    recorded: int = 0,
    builds_on: list[tuple[str, str]] = (),
    wheel: str = "",
) -> str:
    """The header: one paragraph (``builds_on``: the title and docs path of each page)."""
    parts = [verified(page, src_uri, versions, recorded)]
    if builds_on:
        links = ", ".join(f"[{title}]({relative(src_uri, target)})" for title, target in builds_on)
        parts.append(f"**Builds on** {links}.")
    if page.python_blocks:
        parts.append(_run_it(page, src_uri, wheel))
    return f'<p class="primer-header" markdown>{" ".join(parts)}</p>\n'
