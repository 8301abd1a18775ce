"""MkDocs hooks: what every page says about itself, computed from the page, never typed by hand.

* A banner under the title: how many of the page's code blocks ran and how many did not
  (each skipped block carries its reason where it stands, and a GPU block with a recorded
  run says where and when its output was recorded), with which torch, torchvision and
  Python, read from ``requirements.lock`` (:mod:`primersite.notes`).
* What the page builds on (its ``builds_on`` front matter), what to install first (the
  packages its blocks import), and its downloads: the page as a script and as a notebook.
* Claims (``!!! claim <verdict> "statement"``) become "You may read: ..." with the verdict
  spelled out, and ``about/claims.md`` lists every claim of the site with its verdict.
* The home page's learning path: the nav, in order, with each page's ``description``.
* The example scripts, served for download from ``examples/`` (never committed twice).

Loaded by ``mkdocs.yml`` (``hooks:``); the page reading is :mod:`primersite.pages`, the one
the checker uses, so what the banner counts is what the tests ran.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from primersite import ROOT
from primersite.notes import banner, recorded, skip_notes
from primersite.pages import Page, lex
from primersite.wheel import build_wheel, wheel_name

log = logging.getLogger("mkdocs.plugins.primersite")
LOCK = ROOT / "requirements.lock"
VERDICTS = {
    "holds": "Holds",
    "caveat": "Holds, with a caveat",
    "wrong": "Wrong",
    "outdated": "Outdated",
}
CLAIM = re.compile(
    r'^(?P<indent>[ \t]*)!!! claim(?: (?P<verdict>[\w-]+))?(?: +"(?P<title>.*)")?[ \t]*$', re.M
)
#: import name -> what to pip install, for the names that differ
PIP_NAMES = {
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "PIL": "pillow",
    "yaml": "PyYAML",
}
STDLIB_EXTRA = {"__future__"}

_CLAIMS: list[dict] = []
_PAGES: dict[str, Page] = {}
_RECORDS: dict[str, dict] = {}  # the GPU blocks' recorded runs (primersite.gpu_records)


def lock_versions(lock: Path = LOCK) -> dict[str, str]:
    """``{"torch": ..., "torchvision": ..., "python": ...}`` as pinned in the lock file."""
    text = lock.read_text(encoding="utf-8")
    found = dict(re.findall(r"^(torch|torchvision)==(\S+)$", text, re.M))
    python = re.search(r"^# Python (\d+\.\d+)\b", text, re.M)
    if python is None or set(found) != {"torch", "torchvision"}:
        raise ValueError(f"{lock}: no torch/torchvision pins or '# Python X.Y' line")
    return {**found, "python": python.group(1)}


def _relative(src_uri: str, target: str) -> str:
    """A link from page ``src_uri`` to docs-relative ``target``, as Markdown wants it."""
    return "../" * src_uri.count("/") + target


def _imports(page: Page) -> list[str]:
    import ast
    import sys

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
    third_party = names - set(sys.stdlib_module_names) - STDLIB_EXTRA
    return sorted(PIP_NAMES.get(n, n) for n in third_party)


def install_note(page: Page, src_uri: str) -> str:
    """What to install before copying the page's blocks, from the imports they contain."""
    packages = _imports(page)
    if not packages:
        return ""
    plain = [p for p in packages if p != "torchprimer"]
    command = "pip install " + " ".join(plain) if plain else ""
    text = f"To run this page's code you need {', '.join(f'`{p}`' for p in packages)}"
    if "torchprimer" in packages:
        wheel = _relative(src_uri, f"downloads/{wheel_name()}")
        text += (
            f". `torchprimer` is this site's own small package (models, data helpers and the weights it "
            f"publishes): download [{wheel_name()}]({wheel}) and `pip install {wheel_name()}`, "
            "which brings torch and torchvision with it"
        )
        if plain:
            text += f"; the rest with `{command}`"
    else:
        text += f": `{command}`"
    return f'??? info "Before you copy"\n    {text}.\n'


def downloads(src_uri: str) -> str:
    stem = Path(src_uri).stem
    return (
        f"Run it yourself: [{stem}.py]({stem}.py) (the page as a script) · "
        f"[{stem}.ipynb]({stem}.ipynb) (as a notebook)\n"
    )


def builds_on(page: Page, src_uri: str, files) -> str:
    targets = page.meta.get("builds_on") or []
    if not targets:
        return ""
    links = []
    for target in targets:
        file = files.get_file_from_path(target)
        title = _title(file) if file is not None else target
        links.append(f"[{title}]({_relative(src_uri, target)})")
    return "Builds on: " + ", ".join(links) + "\n"


def _title(file) -> str:
    page = _PAGES.get(file.src_uri)
    if page is not None:
        m = re.search(r"^# (.+)$", page.text, re.M)
        if m:
            return m.group(1).strip()
    return file.src_uri


def claims(markdown: str, src_uri: str) -> str:
    """``!!! claim <verdict> "..."`` as a reader sees it, with an anchor the claims page links to."""

    def rewrite(m: re.Match) -> str:
        verdict, title, indent = m["verdict"], (m["title"] or "").strip(), m["indent"]
        if verdict not in VERDICTS or not title:
            raise ValueError(
                f"{src_uri}: a claim needs a verdict ({', '.join(VERDICTS)}) and a statement: "
                f"{m.group(0).strip()!r}"
            )
        anchor = "claim-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
        return (
            f'{indent}<a id="{anchor}"></a>\n\n'
            f'{indent}!!! claim claim-{verdict} "You may read: “{title}”"\n'
            f"{indent}    **Verdict: {VERDICTS[verdict].lower()}.**\n{indent}    \n"
        )

    return CLAIM.sub(rewrite, markdown)


# --- the hooks ----------------------------------------------------------------------------


def on_files(files, config):
    from mkdocs.structure.files import File

    from primersite.gpu_records import load_records

    _PAGES.clear()
    _RECORDS.clear()
    _RECORDS.update(load_records())
    for file in files.documentation_pages():
        if file.src_uri.endswith(".md"):
            _PAGES[file.src_uri] = lex(
                Path(file.abs_src_path).read_text(encoding="utf-8"), snippet_base=ROOT
            )
    from primersite.downloads import page_notebook, page_script_text

    for src_uri, page in _PAGES.items():
        if page.python_blocks:
            stem = src_uri[:-3]
            files.append(
                File.generated(config, f"{stem}.py", content=page_script_text(page, src_uri))
            )
            files.append(
                File.generated(config, f"{stem}.ipynb", content=page_notebook(page, src_uri))
            )
    for script in sorted((ROOT / "examples").glob("*.py")):
        if not script.name.startswith("_"):
            files.append(
                File.generated(config, f"examples/{script.name}", abs_src_path=str(script))
            )
    files.append(
        File.generated(config, f"downloads/{wheel_name()}", abs_src_path=str(build_wheel()))
    )
    _CLAIMS[:] = [
        {"page": uri, "verdict": m["verdict"], "title": (m["title"] or "").strip()}
        for uri, page in _PAGES.items()
        for m in CLAIM.finditer(page.text)
    ]
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    src_uri = page.file.src_uri
    if not src_uri.endswith(".md"):
        return markdown  # example notebooks carry their own provenance stamp
    info = _PAGES.get(src_uri) or lex(markdown)
    if src_uri == "index.md":
        markdown = markdown.replace("<!-- learning-path -->", learning_path(config, files))
    if src_uri == "about/claims.md":
        markdown = markdown.replace("<!-- claims -->", claims_table())
    markdown = skip_notes(claims(markdown, src_uri), _RECORDS)
    header = [
        banner(lock_versions(), info, recorded(info, _RECORDS)).replace(
            "/about/verified/", _relative(src_uri, "about/verified.md")
        )
    ]
    for part in (
        builds_on(info, src_uri, files),
        install_note(info, src_uri),
        downloads(src_uri) if info.python_blocks else "",
    ):
        if part:
            header.append(part)
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: i + 1] + [""] + "\n".join(header).split("\n") + lines[i + 1 :])
    return "\n".join(header) + "\n" + markdown


def learning_path(config, files) -> str:
    """The nav as a reading order: each section, its pages in order, each with its description."""
    out = []
    for section in config["nav"] or []:
        ((name, entries),) = section.items()
        if not isinstance(entries, list):
            continue
        out.append(f"**{name}**\n")
        n = 0
        for entry in entries:
            title, target = next(iter(entry.items())) if isinstance(entry, dict) else (None, entry)
            if not isinstance(target, str):
                continue
            page = _PAGES.get(target)
            n += 1
            description = (page.meta.get("description") if page else None) or ""
            label = title or (
                _title(files.get_file_from_path(target))
                if files.get_file_from_path(target)
                else target
            )
            out.append(f"{n}. [{label}]({target})" + (f": {description}" if description else ""))
        out.append("")
    return "\n".join(out)


def claims_table() -> str:
    """Every claim on the site, by verdict, each linking to where it is checked."""
    if not _CLAIMS:
        return "No page states a claim yet."
    counts = ", ".join(
        f"{sum(c['verdict'] == v for c in _CLAIMS)} {label.lower()}"
        for v, label in VERDICTS.items()
    )
    rows = ["| Verdict | You may read | Checked on |", "| --- | --- | --- |"]
    for verdict in VERDICTS:
        for c in sorted((c for c in _CLAIMS if c["verdict"] == verdict), key=lambda c: c["page"]):
            anchor = "claim-" + re.sub(r"[^a-z0-9]+", "-", c["title"].lower()).strip("-")[:60]
            title = _title_of(c["page"])
            rows.append(
                f"| {VERDICTS[verdict]} | “{c['title'].replace('|', '&#124;')}” | "
                f"[{title}](../{c['page']}#{anchor}) |"
            )
    return f"{len(_CLAIMS)} claims: {counts}.\n\n" + "\n".join(rows) + "\n"


def _title_of(src_uri: str) -> str:
    page = _PAGES.get(src_uri)
    m = re.search(r"^# (.+)$", page.text, re.M) if page else None
    return m.group(1).strip() if m else src_uri


def on_page_content(html: str, page, config, files) -> str:
    """Mark each ``#>`` line as checked output, so the site can show it as output, not as a comment."""
    return html.replace('<span class="c1">#&gt;', '<span class="c1 primer-output">#&gt;')
