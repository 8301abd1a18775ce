"""The built site says what was checked, and nothing else.

The site is built once per run with ``mkdocs build --strict`` (tests/conftest.py): broken
links, anchors or nav fail it. Then the HTML itself is read: every block a reader sees
coloured as Python is a block the checker ran (or a visibly skipped one), in count and in
text; no page speaks of documents the reader has never seen, or shows an escape meant for
the Markdown source; every page has one header that states what was verified and its
versions, and ends with a link to the next page in the nav; its downloads are its blocks.
"""

from __future__ import annotations

import ast
import functools
import json
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch
import torchvision
import yaml
from bs4 import BeautifulSoup
from primersite.build.apidocs import fence_doctests
from primersite.build.claims import claim_markdown
from primersite.build.wheel import build_wheel, sources_digest, wheel_name
from primersite.check.fences import python_highlighted
from primersite.check.lex import read, read_page
from primersite.check.page import RUNNABLE
from primersite.lock import parse_lock, read_lock, site_versions
from primersite.render.examples import discover

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if not p.relative_to(DOCS).parts[0].startswith("_"))
NOTEBOOKS = sorted((DOCS / "examples").glob("*.ipynb"))
SOURCE_WORDS = re.compile(
    r"\bthe seeds?\b|\bseeds? says?\b|\bseed's\b|\bseed 00\d|grew from|\bthe READMEs?\b", re.I
)


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


def built_html(site: Path, page: Path) -> BeautifulSoup:
    """The built page's HTML, parsed once per run (tests read it, never change it)."""
    rel = page.relative_to(DOCS).with_suffix("")
    folder = rel.parent if rel.name == "index" else rel
    return _parse(site / folder / "index.html")


@functools.cache
def _parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def python_blocks_in_html(soup: BeautifulSoup) -> list[tuple[str, bool]]:
    """``(code text, hidden)`` of every code block in the article that is coloured as Python.

    Signatures the API reference shows as code (mkdocstrings' ``doc-signature``) are not blocks.
    """
    found = []
    for div in soup.select("article div.highlight"):
        if div.find_parent(class_="doc-signature") is not None or "doc-signature" in div.get(
            "class", []
        ):
            continue
        langs = [c[len("language-") :] for c in div.get("class", []) if c.startswith("language-")]
        if not langs or not (langs[0].lower() in RUNNABLE or python_highlighted(langs[0])):
            continue
        hidden = any(
            a.has_attr("hidden") or re.search(r"display\s*:\s*none", a.get("style", ""))
            for a in div.parents
            if a.name != "details"
        )
        found.append((div.find("code").get_text(), hidden))
    return found


def page_url(uri: str) -> str:
    """The address MkDocs gives a page (use_directory_urls): ``a/b.md`` -> ``a/b/``."""
    stem = posixpath.splitext(uri)[0]
    stem = stem.removesuffix("index").rstrip("/") if posixpath.basename(stem) == "index" else stem
    return f"{stem}/" if stem else ""


def nav_order() -> list[str]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    order: list[str] = []

    def walk(entries):
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            if isinstance(value, list):
                walk(value)
            else:
                order.append(value)

    walk(config["nav"])
    return order


def test_strict_build_succeeds(built_site):
    assert (built_site / "index.html").exists()


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.parent.name != "reference" or p.name != "api.md"], ids=page_id
)
def test_what_is_shown_as_python_is_what_ran(built_site, page):
    shown = python_blocks_in_html(built_html(built_site, page))
    checked = read_page(page, ROOT).python_blocks
    assert [hidden for _, hidden in shown] == [False] * len(shown), (
        "a Python block inside hidden HTML"
    )
    assert [text.rstrip("\n") for text, _ in shown] == [b.source.rstrip("\n") for b in checked]


def _docstring_blocks() -> list[str]:
    blocks = []
    for module in sorted((ROOT / "src" / "torchprimer").rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(
                node
            ):
                text = fence_doctests(ast.get_docstring(node))
                blocks += [b.source for b in read(text).python_blocks]
    return blocks


def test_api_reference_shows_only_docstring_examples_the_tests_run(built_site):
    shown = python_blocks_in_html(built_html(built_site, DOCS / "reference" / "api.md"))
    examples = {b.rstrip("\n") for b in _docstring_blocks()}
    assert shown, "the API reference shows no examples"
    assert [t.rstrip("\n") for t, _ in shown if t.rstrip("\n") not in examples] == []
    assert not any(">>>" in text for text, _ in shown), "a copy button would copy prompts"


def _visible_text(soup: BeautifulSoup) -> str:
    """The article's text outside code, scripts and styles."""
    article = soup.select_one("article") or soup
    hidden = {"script", "style", "code", "pre"}
    return " ".join(
        t for t in article.find_all(string=True) if not any(p.name in hidden for p in t.parents)
    )


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_pages_speak_to_the_reader(built_site, page):
    text = _visible_text(built_html(built_site, page))
    assert SOURCE_WORDS.findall(text) == [], (
        "the page speaks of documents the reader has never seen"
    )
    assert re.findall(r".{0,30}\\[\"'].{0,30}", text) == [], (
        "an escape meant for the Markdown source shows"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_example_notebooks_speak_to_the_reader(notebook):
    nb = nbformat.read(str(notebook), as_version=4)
    text = "\n".join(c.source for c in nb.cells) + "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    assert SOURCE_WORDS.findall(text) == []


def resolve(uri: str, href: str) -> str:
    """Where a link ``href`` on page ``uri`` leads, as a path under the site."""
    resolved = posixpath.normpath(posixpath.join(page_url(uri), href))
    return "" if resolved == "." else resolved + ("/" if href.endswith("/") else "")


def test_every_page_has_one_compact_header(built_site):
    version = torch.__version__.split("+")[0]
    for page in PAGES:
        uri, soup = page_id(page), built_html(built_site, page)
        [header] = soup.select("article p.primer-header")
        text, links = header.get_text(), {a.get_text(): a["href"] for a in header.select("a")}
        assert text.startswith("Verified:") and f"torch {version}" in text, uri
        assert resolve(uri, links["how"]) == "about/verified/", uri
        # the boxes it replaces are gone
        titles = {t.get_text().strip() for t in soup.select("article .admonition-title")}
        assert not titles & {"Verified", "Before you copy"}, uri
        parsed = read_page(page, ROOT)
        blocks, ran = parsed.python_blocks, sum(b.skip is None for b in parsed.python_blocks)
        if blocks:
            said = f"all {ran} code blocks ran" if ran == len(blocks) else f"{ran} of the"
            assert (said if len(blocks) > 1 else "code block ran") in text, uri
            script = posixpath.splitext(uri)[0] + ".py"
            assert resolve(uri, links[posixpath.basename(script)]) == script, uri
        targets = [page_url(t) for t in parsed.meta.get("builds_on") or []]
        assert [t for t in targets if t not in {resolve(uri, h) for h in links.values()}] == []
        # under the title, unless the page asks for it at the end (the landing page does)
        first = soup.select_one("article h1").find_next(["p", "h2", "div", "details"])
        at_end = parsed.meta.get("header") == "end"
        assert (first is header) != at_end, uri
        if at_end:
            assert not header.find_all_next("h2"), uri


def test_every_page_ends_with_a_link_to_the_next_in_the_nav(built_site):
    order = nav_order()
    for here, following in zip(order, order[1:]):
        links = built_html(built_site, DOCS / here).select("article p.primer-next a")
        assert [resolve(here, a["href"]) for a in links] == [page_url(following)], here
    assert built_html(built_site, DOCS / order[-1]).select("article p.primer-next") == []


def test_the_table_of_examples_is_made_from_the_examples(built_site):
    rows = built_html(built_site, DOCS / "examples" / "index.md").select("article table tr")[1:]
    shown = {row.a["href"].rstrip("/").split("/")[-1]: row.get_text() for row in rows}
    rendered = [e for e in discover() if (DOCS / "examples" / f"{e.name}.ipynb").is_file()]
    assert sorted(shown) == sorted(e.name for e in rendered)
    for example in rendered:
        # the summary is Markdown: the page shows its text without the backticks and stars
        text = example.summary.replace("`", "").replace("*", "")
        assert text and text in shown[example.name], example.name


def test_every_skipped_block_says_why_where_it_stands(built_site):
    for page in PAGES:
        skipped = [b for b in read_page(page, ROOT).python_blocks if b.skip_reason]
        notes = built_html(built_site, page).select("article p.skip-note")
        assert [
            n.get_text() for n in notes if any(b.skip_reason in n.get_text() for b in skipped)
        ] == [n.get_text() for n in notes], page_id(page)
        assert len(notes) == len(skipped), page_id(page)


@pytest.mark.parametrize(
    "page", [p for p in PAGES if read(p.read_text()).python_blocks], ids=page_id
)
def test_each_page_downloads_as_its_checked_script(built_site, page):
    rel = page.relative_to(DOCS).with_suffix("")
    script = (built_site / f"{rel}.py").read_text()
    for block in read_page(page, ROOT).python_blocks:
        if block.skip_reason is None:
            assert block.source in script
    compile(script, str(rel), "exec")
    notebook = nbformat.reads((built_site / f"{rel}.ipynb").read_text(), as_version=4)
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert code == [
        b.source.rstrip("\n") for b in read_page(page, ROOT).python_blocks if b.skip_reason is None
    ]


def test_claims_page_lists_every_claim_with_its_verdict(built_site):
    claims = [(p, c) for p in PAGES for c in read_page(p, ROOT).claims]
    table = built_html(built_site, DOCS / "about" / "claims.md").select("article table tr")[1:]
    assert len(table) == len(claims)
    for page, c in claims:
        soup = built_html(built_site, page)
        assert soup.find(id=c.anchor) is not None, (page_id(page), c.anchor)
        claim = soup.find(id=c.anchor).find_next("div", class_="admonition")
        assert f"claim-{c.verdict}" in claim["class"]
        assert claim.select_one(".admonition-title").get_text().startswith("You may read:")


def test_unknown_verdicts_fail_the_build():
    [claim] = read('!!! claim maybe "PyTorch is fast."\n    Text.\n').claims
    with pytest.raises(ValueError, match="a claim needs a verdict"):
        claim_markdown(claim, "x.md")


def test_each_page_builds_only_on_earlier_pages():
    order = nav_order()
    pages = [p for p in order if p.endswith(".md")]
    for uri in pages:
        meta = read((DOCS / uri).read_text()).meta
        assert meta.get("description"), f"{uri}: no description in its front matter"
        for earlier in meta.get("builds_on") or []:
            assert earlier in pages, f"{uri} builds on {earlier}, which is not in the nav"
            assert order.index(earlier) < order.index(uri), (
                f"{uri} builds on {earlier}, which comes later"
            )


def test_every_page_is_in_the_nav():
    order = set(nav_order())
    assert sorted(page_id(p) for p in PAGES if page_id(p) not in order) == []


def test_site_versions_equal_installed():
    pinned = site_versions(read_lock())["python"]
    if pinned != f"{sys.version_info.major}.{sys.version_info.minor}":
        pytest.skip(
            f"the site is verified with Python {pinned} (requirements.lock); this run uses "
            f"{sys.version_info.major}.{sys.version_info.minor}, so it checks the pages but cannot stand "
            "behind the Python version their banners name"
        )
    assert site_versions(read_lock()) == {
        "torch": torch.__version__.split("+")[0],
        "torchvision": torchvision.__version__.split("+")[0],
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def test_lock_without_pins_is_an_error():
    with pytest.raises(ValueError, match="no torch/torchvision pins"):
        site_versions(parse_lock("# Python 3.11\nnumpy==2.0\n"))


def test_broken_link_fails_strict_build(tmp_path):
    # the validation settings must turn a broken link into a failure, not a warning
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](missing.md) and [anchor](#nowhere)\n")
    config = (
        (ROOT / "mkdocs.yml")
        .read_text()
        .replace("custom_dir: docs/_overrides", f"custom_dir: {ROOT / 'docs' / '_overrides'}")
    )
    config = config.replace(
        "- tools/primersite/build/hooks.py",
        f"- {ROOT / 'tools' / 'primersite' / 'build' / 'hooks.py'}",
    )
    (tmp_path / "mkdocs.yml").write_text(config.split("\nnav:")[0])
    (tmp_path / "examples").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "out")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode != 0
    assert "missing.md" in proc.stderr and "nowhere" in proc.stderr


def test_the_package_wheel_pulls_no_site_packages(built_site):
    import zipfile

    wheel = built_site / "downloads" / wheel_name()
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith("METADATA"))).decode()
        names = zf.namelist()
    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    plain = sorted(r for r in requires if "extra ==" not in r)
    assert plain == ["numpy", "pillow", "scikit-learn", "torch", "torchvision", "tqdm"]
    assert not any(n.startswith(("primersite/", "tests/", "docs/")) for n in names)
    assert "torchprimer/weights/digits_cnn.pt" in names


def test_downloaded_page_files_are_json_and_python(built_site):
    page = DOCS / "tensors" / "first-steps.md"
    assert json.loads((built_site / "tensors" / "first-steps.ipynb").read_text())["cells"]
    script = read_page(page, ROOT).plan({}).script
    assert script in (built_site / "tensors" / "first-steps.py").read_text()


def test_the_wheel_is_built_again_only_when_its_sources_change(tmp_path, monkeypatch):
    import subprocess as subprocess_module

    for name in ("pyproject.toml", "README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / "src" / "torchprimer").mkdir(parents=True)
    (tmp_path / "src" / "torchprimer" / "__init__.py").write_text('"""A package."""\n')
    kept = tmp_path / "cache" / sources_digest(tmp_path)[:16] / wheel_name()
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"a wheel built before")

    def no_pip(*args, **kwargs):
        raise AssertionError("pip ran although the sources did not change")

    monkeypatch.setattr(subprocess_module, "run", no_pip)
    assert build_wheel(tmp_path, tmp_path / "cache") == kept
    (tmp_path / "src" / "torchprimer" / "__init__.py").write_text('"""Changed."""\n')
    with pytest.raises(AssertionError, match="pip ran"):
        build_wheel(tmp_path, tmp_path / "cache")
