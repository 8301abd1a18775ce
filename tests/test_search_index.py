"""The search index the build writes (``primersite.build.search``): notebooks by section,
an entry for each message a page prints where no heading carries it, words split at
punctuation. tests/test_browser.py pastes the messages into the search box itself."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from primersite.build.search import IndexEdits

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "docs" / "examples").glob("*.ipynb"))


@pytest.fixture(scope="module")
def index(built_site) -> dict:
    return json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))


def entries_of(index: dict, url: str) -> list[dict]:
    return [d for d in index["docs"] if d["location"].split("#")[0] == url]


def test_the_separator_splits_a_message_as_it_splits_a_page(index):
    """The words of a message as a traceback prints it and as a page shows it are the same."""
    separator = re.compile(index["config"]["separator"])

    def words(text: str) -> list[str]:
        return [w.lower() for w in separator.split(text) if w]

    assert words("Target size (torch.Size([16])) must be") == [
        "target", "size", "torch", "size", "16", "must", "be",
    ]  # fmt: skip
    assert words('Missing key(s) in state_dict: "0.weight", "0.bias".') == [
        "missing", "key", "s", "in", "state_dict", "0", "weight", "0", "bias",
    ]  # fmt: skip
    assert words("found &lt;class 'PIL.Image.Image'&gt; in 3.14, 0.7307") == [
        "found", "class", "pil", "image", "image", "in", "3.14", "0.7307",
    ]  # fmt: skip


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_an_example_notebook_is_indexed_by_section(index, notebook):
    """The page's own entry holds its title, not the whole notebook; every code cell is in
    the section it stands in."""
    entries = entries_of(index, f"examples/{notebook.stem}/")
    assert entries[0]["location"] == f"examples/{notebook.stem}/"  # the page before its sections
    assert len(entries[0]["text"]) < 2000, "the notebook's cells went into the page's own entry"
    assert len(entries) > 2
    assert not any(e["title"].endswith("¶") for e in entries)
    cells = nbformat.read(notebook, as_version=4).cells
    for cell in (c for c in cells if c.cell_type == "code" and c.source.strip()):
        first = html.escape(cell.source.strip().splitlines()[0], quote=False)
        holding = [e["location"] for e in entries[1:] if first in e["text"]]
        assert holding, f"code cell {first!r} is in no section's entry"


def test_a_printed_message_no_heading_carries_gets_an_entry_of_its_own(index, built_site):
    messages = [d for d in index["docs"] if "#__span-" in d["location"]]
    where = {d["location"] for d in messages}
    # the troubleshooting page's messages are its headings': none gets a line of its own
    assert not [w for w in where if w.startswith("reference/troubleshooting/")]
    inference = [d for d in messages if "Inference tensors cannot be saved" in d["title"]]
    assert [d["location"].split("#")[0] for d in inference] == ["networks/eval-mode/"]
    for entry in messages:  # each leads to the line that prints it
        url, anchor = entry["location"].split("#")
        page = (built_site / url / "index.html").read_text(encoding="utf-8")
        line = re.search(rf'<span id="{anchor}">(.*?)\n', page)
        assert line and entry["title"] in re.sub(r"<[^>]+>", "", line[1]), entry


def test_edits_keep_each_pages_entries_together_and_its_own_first():
    edits = IndexEdits()
    edits.messages = {"b/": [("__span-1-2", "ValueError: odd"), ("__span-1-3", "TypeError: a b c")]}
    data = {
        "config": {},
        "docs": [
            {"location": "a/", "title": "A", "text": ""},
            {"location": "b/", "title": "B", "text": ""},
            {"location": "a/#x", "title": "<code>TypeError: a b c</code>", "text": ""},
            {"location": "b/#y", "title": "Y", "text": ""},
        ],
    }
    assert [d["location"] for d in edits.edited(data)] == [
        "a/", "a/#x", "b/", "b/#y", "b/#__span-1-2",  # "a b c" is a heading's: no entry
    ]  # fmt: skip


def test_a_notebook_page_is_read_without_its_cells_wrappers():
    edits = IndexEdits()
    cell = '<div class="jp-Cell"><div class="jp-MarkdownOutput">{}</div></div>'
    content = (
        cell.format('<h1 id="t">T<a class="anchor-link" href="#t">¶</a></h1><p>intro</p>')
        + cell.format('<h2 id="s">S<a class="anchor-link" href="#s">¶</a></h2>')
        + cell.format("<pre>print(1)</pre>")
    )
    page = SimpleNamespace(
        file=SimpleNamespace(src_uri="examples/n.ipynb"),
        toc=[],
        url="examples/n/",
        meta={},
        title="T",
    )
    edits.add(page, content)
    entries = edits.notebook_entries({"lang": ["en"], "separator": " ", "pipeline": []}, page.url)
    assert [(e["location"], e["title"], e["text"]) for e in entries] == [
        ("examples/n/", "T", "<p>intro</p>"),
        ("examples/n/#s", "S", "<pre>print(1)</pre>"),
    ]
