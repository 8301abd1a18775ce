"""Every page, downloadable: as the script the checker runs, and as a notebook.

Both are made from :func:`primersite.pages.lex`, the reading the checker runs, so the
download holds exactly the blocks that were checked, in order, with their ``#>`` lines.

>>> from primersite.pages import lex
>>> page = lex("# Sums\\n\\nAdd two numbers.\\n\\n```python\\nprint(1 + 1)\\n#> 2\\n```\\n")
>>> print(page_script_text(page, "basics/sums.md"))
# Sums
# From the PyTorch Primer page basics/sums.md. Each #> line is what the statement above it
# printed when the page was checked.
<BLANKLINE>
print(1 + 1)
#> 2
<BLANKLINE>
>>> import json
>>> cells = json.loads(page_notebook(page, "basics/sums.md"))["cells"]
>>> [(c["cell_type"], "".join(c["source"])) for c in cells]
[('markdown', '# Sums\\n\\nAdd two numbers.'), ('code', 'print(1 + 1)\\n#> 2')]
"""

from __future__ import annotations

import re

from primersite.pages import FRONT_MATTER, SKIP_ANY, Page


def _title(page: Page) -> str:
    m = re.search(r"^# (.+)$", page.text, re.M)
    return m.group(1).strip() if m else "PyTorch Primer page"


def page_script_text(page: Page, src_uri: str) -> str:
    """The page as one Python file: its runnable blocks in order, skipped ones as comments."""
    parts = [
        f"# {_title(page)}\n# From the PyTorch Primer page {src_uri}. Each #> line is what the statement "
        "above it\n# printed when the page was checked.\n"
    ]
    for b in page.python_blocks:
        if b.skip_reason is None:
            parts.append(b.source)
        else:
            body = "".join(
                f"# {ln}" if ln.strip() else "#\n" for ln in b.source.splitlines(keepends=True)
            )
            parts.append(f"# Not run when the page was checked ({b.skip_reason}):\n{body}")
    return "\n".join(parts)


def page_notebook(page: Page, src_uri: str) -> str:
    """The page as a Jupyter notebook: prose in Markdown cells, each runnable block a code cell."""
    import nbformat

    cells = []
    cursor = FRONT_MATTER.match(page.text).end() if FRONT_MATTER.match(page.text) else 0
    for b in page.python_blocks:
        prose = SKIP_ANY.sub("", page.text[cursor : b.start]).strip()
        if prose:
            cells.append(nbformat.v4.new_markdown_cell(prose))
        if b.skip_reason is None:
            cells.append(nbformat.v4.new_code_cell(b.source.rstrip("\n")))
        else:
            cells.append(
                nbformat.v4.new_markdown_cell(
                    f"Not run when the page was checked ({b.skip_reason}):\n\n```python\n{b.source.rstrip()}\n```"
                )
            )
        cursor = b.end
    rest = page.text[cursor:].strip()
    if rest:
        cells.append(nbformat.v4.new_markdown_cell(rest))
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "primersite": {"page": src_uri},
        },
    )
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"  # stable ids: the same page gives the same file
    return nbformat.writes(notebook) + "\n"
