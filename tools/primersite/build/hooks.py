"""MkDocs hooks (``hooks:`` in mkdocs.yml): every page read once into its model, and what
the site shows of it computed from that model, never typed by hand.

* ``on_files``: read every page (:func:`primersite.check.lex.read`, the checker's own
  reading, so what the header counts is what the tests ran); add each page's downloads,
  the example scripts (served from ``examples/``, never committed twice) and the
  ``torchprimer`` wheel;
* ``on_page_markdown``: the page's Markdown as :mod:`primersite.build.rewrite` edits it,
  and the generated parts of three pages: the learning path (``index.md``), the claims
  (``about/claims.md``) and the examples (``examples/index.md``);
* ``on_page_content``: ``#>`` lines marked as checked output, and the "Next" link; an
  example notebook's content is kept to index it by section;
* ``on_post_build``: the written search index with each notebook's entries by section
  (:mod:`primersite.build.search`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.plugins import event_priority

from primersite import ROOT
from primersite.build.claims import claims_table
from primersite.build.downloads import page_notebook, page_script_text
from primersite.build.examples_table import examples_table
from primersite.build.nav import learning_path, next_link, sections
from primersite.build.rewrite import page_markdown
from primersite.build.search import IndexEdits
from primersite.build.wheel import build_wheel, wheel_name
from primersite.check.gpu_records import load_records
from primersite.check.lex import read
from primersite.check.page import Page
from primersite.lock import read_lock, site_versions
from primersite.render.examples import discover

#: Where a page asks for a generated part.
MARKERS = {
    "index.md": "<!-- learning-path -->",
    "about/claims.md": "<!-- claims -->",
    "examples/index.md": "<!-- examples -->",
}


@dataclass
class Site:
    """What the hooks know of the whole site, read once per build."""

    pages: dict[str, Page] = field(default_factory=dict)
    records: dict[str, dict] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    def title(self, src_uri: str) -> str:
        page = self.pages.get(src_uri)
        return page.title if page and page.title else src_uri


SITE = Site()
INDEX_EDITS = IndexEdits()


def on_files(files, config):
    from mkdocs.structure.files import File

    SITE.pages = {
        f.src_uri: read(Path(f.abs_src_path).read_text(encoding="utf-8"), snippet_base=ROOT)
        for f in files.documentation_pages()
        if f.src_uri.endswith(".md")
    }
    SITE.records = load_records()
    INDEX_EDITS.clear()
    SITE.versions = site_versions(read_lock())
    for src_uri, page in SITE.pages.items():
        if page.python_blocks:
            stem = src_uri[:-3]
            script = page_script_text(page, src_uri)
            files.append(File.generated(config, f"{stem}.py", content=script))
            notebook = page_notebook(page, src_uri)
            files.append(File.generated(config, f"{stem}.ipynb", content=notebook))
    for script in sorted((ROOT / "examples").glob("*.py")):
        if not script.name.startswith("_"):
            path = f"examples/{script.name}"
            files.append(File.generated(config, path, abs_src_path=str(script)))
    wheel = str(build_wheel())
    files.append(File.generated(config, f"downloads/{wheel_name()}", abs_src_path=wheel))
    return files


def _generated(src_uri: str, config) -> str:
    """The generated part a page asks for with its marker."""
    if src_uri == "index.md":
        pages = SITE.pages

        def description(target: str) -> str:
            return (pages[target].meta.get("description") or "") if target in pages else ""

        return learning_path(config["nav"], SITE.title, description)
    if src_uri == "about/claims.md":
        claims = [(uri, SITE.title(uri), c) for uri, p in SITE.pages.items() for c in p.claims]
        return claims_table(claims)
    rendered = {p.stem for p in (ROOT / "docs" / "examples").glob("*.ipynb")}
    order = [path for _, pages in sections(config["nav"]) for _, path in pages]

    def place(example) -> int:  # the nav's order, then the rest by name
        path = f"examples/{example.name}.ipynb"
        return order.index(path) if path in order else len(order)

    return examples_table(sorted(discover(), key=place), rendered)


def on_page_markdown(markdown: str, page, config, files) -> str:
    src_uri = page.file.src_uri
    if not src_uri.endswith(".md"):
        return markdown  # example notebooks carry their own provenance stamp
    model = SITE.pages.get(src_uri)
    if model is None or model.text[model.body_start :].lstrip("\n") != markdown:
        model = read(markdown, snippet_base=ROOT)  # another plugin changed it: read what we got
    builds_on = [(SITE.title(t), t) for t in model.meta.get("builds_on") or []]
    markdown = page_markdown(
        model,
        src_uri,
        versions=SITE.versions,
        records=SITE.records,
        builds_on=builds_on,
        wheel=wheel_name(),
    )
    if src_uri in MARKERS:
        markdown = markdown.replace(MARKERS[src_uri], _generated(src_uri, config))
    return markdown


def on_page_content(html: str, page, config, files) -> str:
    """Mark each ``#>`` line as checked output; end the page with a link to the next one."""
    from mkdocs.utils import get_relative_url

    html = html.replace('<span class="c1">#&gt;', '<span class="c1 primer-output">#&gt;')
    INDEX_EDITS.add(page, html)
    following = page.next_page
    if following is None:
        return html
    title = following.title or SITE.title(following.file.src_uri)
    return html + "\n" + next_link(title, get_relative_url(following.url, page.url))


@event_priority(-100)  # after the search plugin has written its index
def on_post_build(config):
    INDEX_EDITS.rewrite(Path(config["site_dir"]) / "search" / "search_index.json")
