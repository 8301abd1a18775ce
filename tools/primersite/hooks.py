"""MkDocs hooks: what every page says about itself, computed from the page, never typed by hand.

* A banner under the title: how many of the page's code blocks ran and how many did not
  (each skipped block carries its reason where it stands), with which torch, torchvision
  and Python, read from ``requirements.lock``.
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
from primersite.pages import Page, lex

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
SKIP_LINE = re.compile(r"^(?P<indent>[ \t]*)<!--\s*skip:.*?-->[ \t]*$", re.M)
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


def lock_versions(lock: Path = LOCK) -> dict[str, str]:
    """``{"torch": ..., "torchvision": ..., "python": ...}`` as pinned in the lock file."""
    text = lock.read_text(encoding="utf-8")
    found = dict(re.findall(r"^(torch|torchvision)==(\S+)$", text, re.M))
    python = re.search(r"^# Python (\d+\.\d+)\b", text, re.M)
    if python is None or set(found) != {"torch", "torchvision"}:
        raise ValueError(f"{lock}: no torch/torchvision pins or '# Python X.Y' line")
    return {**found, "python": python.group(1)}


def banner(versions: dict[str, str], page: Page) -> str:
    """The "Verified" box: what ran, what did not, with which versions."""
    python = page.python_blocks
    runs = [b for b in python if b.skip_reason is None]
    shell = [b for b in page.blocks if b.lang.lower() in {"bash", "sh", "shell", "console"}]
    with_ = (
        f"torch {versions['torch']}, torchvision {versions['torchvision']} and "
        f"Python {versions['python']} (CPU)"
    )
    if not python:
        text = f"This page has no Python code to run. Its site was built with {with_}."
    elif len(runs) == len(python):
        text = (
            f"All {len(python)} code blocks on this page ran, top to bottom as one script, and printed "
            f"what they show, with {with_}."
        )
    else:
        text = (
            f"{len(runs)} of the {len(python)} code blocks on this page ran, top to bottom as one script, "
            f"and printed what they show, with {with_}. The other {len(python) - len(runs)} did not run "
            "when the page was checked; each says why where it stands."
        )
    if shell:
        text += f" The {len(shell)} shell block{'s' if len(shell) > 1 else ''} show{'' if len(shell) > 1 else 's'} commands to type; they are not run."
    return f'!!! success "Verified"\n    {text} [How pages are verified](/about/verified/)\n'


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


def wheel_name() -> str:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return f"torchprimer-{version}-py3-none-any.whl"


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


def skip_notes(markdown: str) -> str:
    """Each skip directive becomes a visible note, so the reader sees which block did not run and why."""

    def note(m: re.Match) -> str:
        d = lex(m.group(0).strip()).directives
        if not d or d[0].reason is None:
            return m.group(0)
        when = (
            f"Runs only where `${d[0].env}` is set; otherwise skipped: "
            if d[0].env
            else "Not run when this page was checked: "
        )
        return f'{m["indent"]}<p class="skip-note" markdown>{when}{d[0].reason}.</p>\n'

    return SKIP_LINE.sub(note, markdown)


# --- the hooks ----------------------------------------------------------------------------


def on_files(files, config):
    from mkdocs.structure.files import File

    _PAGES.clear()
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
    files.append(File.generated(config, f"downloads/{wheel_name()}", abs_src_path=str(_wheel())))
    _CLAIMS[:] = [
        {"page": uri, "verdict": m["verdict"], "title": (m["title"] or "").strip()}
        for uri, page in _PAGES.items()
        for m in CLAIM.finditer(page.text)
    ]
    return files


def _wheel() -> Path:
    """The torchprimer wheel the pages' install notes link to, built from this checkout once per build.

    Built from a copy of the package's sources, so the build leaves nothing in the checkout.
    """
    import shutil
    import subprocess
    import sys
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="primersite-wheel-"))
    source = out / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / wheel_name()


def on_page_markdown(markdown: str, page, config, files) -> str:
    src_uri = page.file.src_uri
    if not src_uri.endswith(".md"):
        return markdown  # example notebooks carry their own provenance stamp
    info = _PAGES.get(src_uri) or lex(markdown)
    if src_uri == "index.md":
        markdown = markdown.replace("<!-- learning-path -->", learning_path(config, files))
    if src_uri == "about/claims.md":
        markdown = markdown.replace("<!-- claims -->", claims_table())
    markdown = skip_notes(claims(markdown, src_uri))
    header = [
        banner(lock_versions(), info).replace(
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
