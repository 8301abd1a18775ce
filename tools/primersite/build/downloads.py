"""Every page, downloadable: as the script the checker runs, and as a notebook.

Both are made from the page model (:mod:`primersite.check.page`), the one the checker
runs, so the download holds exactly the blocks that were checked, in order, with their
``#>`` lines.

>>> from primersite.check.lex import read
>>> page = read("# Sums\\n\\nAdd two numbers.\\n\\n```python\\nprint(1 + 1)\\n#> 2\\n```\\n")
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

from primersite.check.page import Page


def _not_run(reason: str) -> str:
    return f"Not run when the page was checked ({reason})"


def page_script_text(page: Page, src_uri: str) -> str:
    """The page as one Python file: its runnable blocks in order, skipped ones as comments."""
    parts = [
        f"# {page.title or 'PyTorch Primer page'}\n# From the PyTorch Primer page {src_uri}. "
        "Each #> line is what the statement above it\n# printed when the page was checked.\n"
    ]
    for b in page.python_blocks:
        if b.skip is None:
            parts.append(b.source)
        else:
            body = "".join(
                f"# {ln}" if ln.strip() else "#\n" for ln in b.source.splitlines(keepends=True)
            )
            parts.append(f"# {_not_run(b.skip.reason)}:\n{body}")
    return "\n".join(parts)


def _prose(page: Page, start: int, end: int) -> str:
    """The page's text from ``start`` to ``end`` without its skip directives."""
    pieces, cursor = [], start
    for d in (d for d in page.directives if start <= d.start < end):
        pieces.append(page.text[cursor : d.start])
        cursor = d.end
    pieces.append(page.text[cursor:end])
    return "".join(pieces).strip()


def page_notebook(page: Page, src_uri: str) -> str:
    """The page as a Jupyter notebook: prose in Markdown cells, each runnable block a code cell."""
    import nbformat

    cells = []
    cursor = page.body_start
    for b in page.python_blocks:
        prose = _prose(page, cursor, b.start)
        if prose:
            cells.append(nbformat.v4.new_markdown_cell(prose))
        if b.skip is None:
            cells.append(nbformat.v4.new_code_cell(b.source.rstrip("\n")))
        else:
            text = f"{_not_run(b.skip.reason)}:\n\n```python\n{b.source.rstrip()}\n```"
            cells.append(nbformat.v4.new_markdown_cell(text))
        cursor = b.end
    rest = _prose(page, cursor, len(page.text))
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
