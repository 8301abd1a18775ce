"""The reader's experience, tested in a real browser.

Playwright drives Debian's Chromium (``/usr/bin/chromium-headless-shell``, else
``/usr/bin/chromium``; Playwright's own browser download is never used, the tests run
offline) against the site built once with ``mkdocs build --strict`` and served on
127.0.0.1. What a reader would notice is checked:

* every page loads with no console error, no failed request and no request to another host;
  its figures load, nothing is wider than the window (desktop and phone) and no Markdown is
  left unrendered (its search worker is handed that page's own part of the index);
* search, over the whole index, suggests and opens a page; the dark/light toggle switches
  and is remembered;
* the copy button gives code that runs as it is in ``python`` and prints what the page shows;
* an example page shows its outputs, figures and provenance stamp, and its ``.py`` and
  ``.ipynb`` downloads work;
* a missing address gets the site's own 404 page, which helps the reader on.

A page that fails is photographed into ``artifacts/screenshots/`` (git-ignored), as are
search, the palette and the 404 page, to look at.
``make test`` installs Chromium when it can (see the Makefile's ``browser`` target); without
it these tests skip, saying how to install it.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from primersite.check.lex import read
from primersite.check.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.slow]


# --- what the site should contain, known before it is built --------------------------------


def page_url(source: Path) -> str:
    """The address MkDocs gives a page (use_directory_urls): ``a/b.md`` -> ``a/b/``."""
    rel = source.relative_to(DOCS).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "index" else rel.parts
    return "".join(f"{p}/" for p in parts)


def site_sources() -> list[Path]:
    """Every page MkDocs builds: Markdown pages and rendered example notebooks."""
    found = [
        p
        for p in sorted(DOCS.rglob("*.md")) + sorted((DOCS / "examples").glob("*.ipynb"))
        if not any(part.startswith(("_", ".")) for part in p.relative_to(DOCS).parts)
    ]
    return found


SOURCES = site_sources()
EXAMPLES = sorted((DOCS / "examples").glob("*.ipynb"))
COPY_PAGE = DOCS / "tensors" / "first-steps.md"
SEARCH = ("autograd", "training/autograd/")
TROUBLESHOOTING = DOCS / "reference" / "troubleshooting.md"
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def source_id(source: Path) -> str:
    return str(source.relative_to(DOCS))


def shot_name(url_path: str) -> str:
    return (url_path.strip("/").replace("/", "--") or "home") + ".png"


def shoot(page, name: str, full_page: bool = True) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def settle(page) -> None:
    """Scroll through the page so lazy content loads, then wait for every image."""
    # setTimeout, not requestAnimationFrame: a page the browser considers hidden gets no
    # animation frames, and page.evaluate() would wait for ever.
    page.evaluate(
        """async () => {
            const sleep = ms => new Promise(r => setTimeout(r, ms));
            window.scrollTo(0, document.body.scrollHeight);  // what loads on scrolling, loads
            await sleep(50);
            window.scrollTo(0, 0);
            await document.fonts.ready;
        }"""
    )
    page.wait_for_function("Array.from(document.images).every(img => img.complete)", timeout=10_000)
    # the header's tabs hide while the page is scrolled down, and fade back in at the top
    page.wait_for_function("!document.querySelector('.md-tabs')?.hidden", timeout=10_000)
    page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running')", timeout=10_000
    )


# Read in the page: what a reader would see as broken. Code and notebook cells are left out
# of the raw-Markdown check, since they may show Markdown on purpose.
LAYOUT_PROBLEMS = """() => {
    const out = [];
    const article = document.querySelector("article.md-content__inner");
    if (!article) return ["no article element: the theme did not render the page"];
    if (!article.querySelector("h1")) out.push("no h1 title");
    for (const img of document.images) {
        if (img.naturalWidth === 0) out.push(`figure did not load: ${(img.getAttribute("src") || "").slice(0, 80)}`);
    }
    const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
    if (overflow > 1) out.push(`page is ${overflow}px wider than the ${window.innerWidth}px window`);
    const prose = article.cloneNode(true);
    prose.querySelectorAll("pre, code, script, style, .highlight, .jp-InputArea, .jp-OutputArea")
        .forEach(el => el.remove());
    const text = prose.textContent;
    for (const [pattern, what] of [
        [/(^|\\n)\\s*(!!!|\\?\\?\\?\\+?)\\s+\\w/, "an admonition left as raw Markdown"],
        [/```/, "a code fence left as raw Markdown"],
        [/(^|\\n)\\s*\\|?\\s*:?-{3,}:?\\s*\\|/, "a table left as raw Markdown"],
        [/\\]\\([^)\\s]+\\.md(#[^)]*)?\\)/, "a link left as raw Markdown"],
    ]) {
        const m = text.match(pattern);
        if (m) out.push(`${what}: ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 60))}`);
    }
    for (const math of article.querySelectorAll(".arithmatex")) {
        if (!math.querySelector(".katex")) out.push(`math left as raw TeX: ${math.textContent.slice(0, 60)}`);
    }
    for (const bad of article.querySelectorAll(".katex-error")) {
        out.push(`TeX that KaTeX cannot render: ${(bad.getAttribute("title") || bad.textContent).slice(0, 120)}`);
    }
    return out;
}"""


def switch_scheme(page, scheme: str) -> None:
    """Switch the colour scheme with the header's toggle, as a reader does."""
    label = "Switch to dark mode" if scheme == "slate" else "Switch to light mode"
    page.locator(f"label[title='{label}']").click()
    page.wait_for_function(f"document.body.getAttribute('data-md-color-scheme') === '{scheme}'")
    # colours change with a transition: wait until every running one has ended
    page.wait_for_function(
        "document.getAnimations().every(a => a.playState !== 'running')", timeout=10_000
    )


def accessibility_problems(page, colours_only: bool = False) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it stands, one line each.

    ``colours_only``: just the rules a change of colour scheme can change (the rest were
    checked in the other scheme on the same page).
    """
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    only = (
        {"type": "rule", "values": COLOUR_RULES}
        if colours_only
        else {"type": "tag", "values": AXE_RULES}
    )
    return page.evaluate(
        """async only => (await axe.run(document, {runOnly: only, resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.impact} ${v.id} (${v.nodes.length}): ${v.nodes[0].target.join(" ")}: `
                      + `${(v.nodes[0].any[0] || v.nodes[0].all[0] || {}).message || v.help}`)""",
        only,
    )


def wait_for_search_index(page) -> None:
    """Until the search worker has loaded the index, a query typed in gets no answer."""
    page.wait_for_function(
        "() => !(document.querySelector('.md-search-result__meta')?.textContent || '').includes('Initializing')",
        timeout=30_000,
    )


def example_page_problems(notebook: Path, page, base_url: str) -> list[str]:
    """What an example page must show: its outputs and figures, its stamp, and downloads that work."""
    problems = []
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    has_figure = any(
        "image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
        for cell in cells
        for out in cell.get("outputs", [])
    )
    if page.locator(".jp-OutputArea-output").count() == 0:
        problems.append("the example page shows no cell outputs")
    widths = page.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.map(i => i.naturalWidth)"
    )
    if has_figure and not (widths and all(w > 0 for w in widths)):
        problems.append("the notebook has figures the page does not show")
    # the provenance stamp: a table of where, when and with what the run happened
    stamps = page.locator("article table").evaluate_all(
        """tables => tables.map(t => Object.fromEntries(Array.from(t.rows)
            .filter(r => r.cells.length === 2)
            .map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()])))"""
    )
    stamp = next((t for t in stamps if {"device", "torch", "date"} <= t.keys()), None)
    if stamp is None or not (
        re.match(r"\d+\.\d+", stamp["torch"])
        and re.match(r"20\d\d-\d\d-\d\d", stamp["date"])
        and stamp["device"]
    ):
        problems.append(f"no provenance stamp (device, torch, date) on the example page: {stamp}")
    links = page.locator("article a[href$='.py'], article a[href$='.ipynb']")
    # the site's own copies; the header's "view source" button points at the repository
    hrefs = sorted(
        {h for h in links.evaluate_all("as => as.map(a => a.href)") if h.startswith(base_url)}
    )
    if {h.rsplit(".", 1)[1] for h in hrefs} != {"py", "ipynb"}:
        problems.append(f"download links for .py and .ipynb expected, found {hrefs}")
    for href in hrefs:
        got = page.request.get(href)
        if got.status != 200:
            problems.append(f"download {href}: HTTP {got.status}")
        elif href.endswith(".ipynb") and not json.loads(got.text())["cells"]:
            problems.append(f"{href} is not a notebook")
        elif href.endswith(".py"):
            compile(got.text(), href, "exec")  # the script downloads as valid Python
    return problems


def visit(page, url: str):
    response = page.goto(url, wait_until="load")
    settle(page)
    return response


# --- every page ---------------------------------------------------------------------------


def test_every_built_page_is_checked(built_site):
    """The page list the browser walks is the list of pages MkDocs built: none escapes."""
    built = {p.parent.relative_to(built_site).as_posix() for p in built_site.rglob("index.html")}
    expected = {page_url(s).strip("/") or "." for s in SOURCES}
    assert built == expected


@pytest.fixture(scope="module")
def search_index(built_site) -> dict:
    """The built site's search index, read once."""
    return json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))


def own_search_index(index: dict, url_path: str) -> dict:
    """``index`` with only the entries of the page at ``url_path``."""
    return {**index, "docs": [d for d in index["docs"] if d["location"].split("#")[0] == url_path]}


@pytest.mark.parametrize("source", SOURCES, ids=source_id)
def test_page_loads_cleanly(source, search_index, base_url, context, page, assert_clean):
    url_path = page_url(source)
    # Every page hands the search worker the same index, which it builds on each load: about
    # half a CPU-second a page on a 2-core machine, spent once per page on one file. The
    # search tests below load and query the real index; here the worker gets this page's
    # own entries (the request is still made and watched).
    own = own_search_index(search_index, url_path)
    context.route("**/search/search_index.json", lambda route: route.fulfill(json=own))
    response = visit(page, base_url + url_path)
    assert response is not None and response.status == 200, (
        f"{url_path}: HTTP {response and response.status}"
    )
    problems = page.evaluate(LAYOUT_PROBLEMS)
    if source.suffix == ".ipynb":
        problems += example_page_problems(source, page, base_url)
    problems += [f"light scheme: {p}" for p in accessibility_problems(page)]
    switch_scheme(page, "slate")
    problems += [f"dark scheme: {p}" for p in accessibility_problems(page, colours_only=True)]
    page.set_viewport_size(PHONE)
    page.wait_for_function("window.innerWidth === 390")  # the narrow window, laid out
    problems += [f"phone width: {p}" for p in page.evaluate(LAYOUT_PROBLEMS) if "wider than" in p]
    if problems or context.watch.problems:  # a picture of what failed, to look at
        shoot(page, shot_name(url_path))
    assert_clean(context.watch.problems + problems, url_path)


def test_a_request_to_another_host_is_seen_and_goes_nowhere(base_url, context, page):
    """What the per-page check relies on: the watch reports a request that leaves this
    machine, and the browser itself refuses it."""
    visit(page, base_url)
    outcome = page.evaluate(
        """async () => { try { await fetch("http://example.com/pixel.png"); return "answered"; }
                         catch (e) { return "refused"; } }"""
    )
    assert outcome == "refused"
    assert "request to another host: http://example.com/pixel.png" in context.watch.problems


# --- search, palette, copy ----------------------------------------------------------------


def test_search_suggests_and_opens_the_page(base_url, context, page, assert_clean):
    query, target = SEARCH
    visit(page, base_url)
    page.keyboard.press("/")  # Material's shortcut: focus the search box
    search = page.locator("input.md-search__input")
    assert search.evaluate("el => el === document.activeElement"), (
        "'/' did not focus the search box"
    )
    wait_for_search_index(page)
    page.keyboard.type(query[:-2], delay=30)  # most of the word: the theme suggests the rest
    suggest = page.locator(".md-search__suggest")
    page.wait_for_function(
        "q => (document.querySelector('.md-search__suggest')?.textContent || '').trim().toLowerCase().startsWith(q)",
        arg=query,
        timeout=10_000,
    )
    suggestion = suggest.text_content().strip()
    page.keyboard.type(query[-2:], delay=30)
    results = page.locator(".md-search-result__item a.md-search-result__link")
    results.first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)  # the search worker answers each keystroke; let the last answer land
    shoot(page, "search.png", full_page=False)
    # one result per page, then its matching sections, all linking to the page
    paths = [urlsplit(h).path for h in results.evaluate_all("as => as.map(a => a.href)")]
    pages = list(dict.fromkeys(paths))
    assert "/" + target in pages[:3], (
        f"{target} is not among the first pages found for {query!r}: {pages}"
    )
    results.nth(paths.index("/" + target)).click()
    page.wait_for_url(re.compile(re.escape(target)), timeout=10_000)
    title = page.locator("article h1").first.text_content()
    assert query in title.lower(), (
        f"search for {query!r} (suggested {suggestion!r}) opened {title!r}"
    )
    assert_clean(context.watch.problems, page.url)


def test_dark_light_toggle(base_url, context, page, assert_clean):
    visit(page, base_url + COPY_PAGE.relative_to(DOCS).with_suffix("").as_posix() + "/")
    scheme = lambda: page.evaluate("document.body.getAttribute('data-md-color-scheme')")  # noqa: E731
    background = lambda: page.evaluate("getComputedStyle(document.body).backgroundColor")  # noqa: E731
    assert scheme() == "default"
    light_bg = background()
    page.locator("label[title='Switch to dark mode']").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    assert background() != light_bg, "the palette attribute changed but the page did not"
    shoot(page, "palette-dark.png", full_page=False)
    page.reload(wait_until="networkidle")
    assert scheme() == "slate", "the reader's choice of dark mode is forgotten on reload"
    page.locator("label[title='Switch to light mode']").click()
    page.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'default'")
    assert background() == light_bg
    assert_clean(context.watch.problems, page.url)


def test_copy_button_gives_code_that_runs(base_url, new_context, assert_clean, tmp_path):
    """Copy every python block of a page with its button; the copies run and print the #> lines."""
    blocks = read(COPY_PAGE.read_text(encoding="utf-8")).python_blocks
    ctx = new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    seen = ctx.watch
    page = ctx.new_page()
    visit(page, base_url + page_url(COPY_PAGE))
    # blocks in collapsed boxes (solutions, "Going deeper") are copied too: open them all
    page.evaluate("document.querySelectorAll('article details').forEach(d => { d.open = true; })")
    buttons = page.locator("div.language-python button[data-md-type='copy']")
    assert buttons.count() == len(blocks), "a python block without a copy button"
    copied = []
    for i in range(len(blocks)):
        page.evaluate("navigator.clipboard.writeText('')")
        buttons.nth(i).click()
        page.wait_for_function("async () => (await navigator.clipboard.readText()) !== ''")
        copied.append(page.evaluate("navigator.clipboard.readText()"))
    assert_clean(seen.problems, page.url)
    for block, text in zip(blocks, copied):
        assert text.rstrip("\n") == block.source.rstrip("\n"), (
            f"block at line {block.line} copies differently"
        )
    script = "\n".join(text for block, text in zip(blocks, copied) if block.skip_reason is None)
    proc = subprocess.run(
        [sys.executable, *Sandbox.FLAGS, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"},
    )
    assert proc.returncode == 0, f"the copied code fails:\n{proc.stderr[-3000:]}"
    assert proc.stdout == read(COPY_PAGE.read_text(encoding="utf-8")).plan({}).expected_stdout


# --- pasted error messages --------------------------------------------------------------

MESSAGE_HEADING = re.compile(r"^#{2,6} (?P<text>.+?) \{#(?P<anchor>[\w-]+)\}[ \t]*$", re.M)
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Warning|Exception): ")


def heading_messages(heading: str) -> list[str]:
    """The messages a heading carries: its code spans of three words or more, each of those
    it joins with " / ", else the longest (the rest name a fix or a value, such as `nan`)."""
    spans = [s for s in re.findall(r"`([^`]+)`", heading) if len(s.split()) >= 3]
    return spans if " / " in heading else sorted(spans, key=len)[-1:]


def printed_message(page, start: int, end: int, message: str) -> str | None:
    """The message as a block between ``start`` and ``end`` printed it, whole: from its
    ``Type: ...`` line (the one holding its start, or the nearest above in that statement)
    to the next such line, in one line, as a traceback's last lines pasted into one box."""
    opening = re.split(r": |\.\.\.", EXCEPTION_LINE.sub("", message))[0].strip()
    for block in (b for b in page.python_blocks if start <= b.start < end):
        for statement in block.statements:
            lines = [text.strip() for _, text in statement.expected]
            at = next((i for i, line in enumerate(lines) if opening in line), None)
            while at is not None and at > 0 and not EXCEPTION_LINE.match(lines[at]):
                at -= 1
            if at is None or not EXCEPTION_LINE.match(lines[at]):
                continue
            rest = lines[at + 1 :]
            stop = next((i for i, line in enumerate(rest) if EXCEPTION_LINE.match(line)), None)
            return " ".join([lines[at], *rest[:stop]])
    return None


#: A number of a run in a message: a shape's side (32x8), a size, an index, a count. Digits
#: inside a word (conv2d, 0D, LogBackward0) and numbers with a decimal point (versions) are
#: the message's own.
RUN_NUMBER = re.compile(r"(?<![\w.])\d+(?=x\d)|(?<=\dx)\d+(?![\w.])|(?<![\w.])\d+(?![\w]|\.\d)")


def other_numbers(message: str) -> str:
    """``message`` from another run: each of its run's numbers changed (n to 2n + 3), the
    words kept. A placeholder the page prints for a process id gets a number."""
    message = message.replace("<pid>", "4242")
    return RUN_NUMBER.sub(lambda m: str(2 * int(m[0]) + 3), message)


def pasted_messages() -> list[tuple[tuple[str, ...], str]]:
    """``(where it must lead, paste)`` for each message a heading of the troubleshooting page
    carries: the message as a traceback prints it (what the section's block printed, or the
    heading's words where no block can raise it here), with other numbers than the page's
    own; it must lead to that heading's section."""
    page = read(TROUBLESHOOTING.read_text(encoding="utf-8"))
    inside = [(b.start, b.end) for b in page.blocks]
    headings = [
        m
        for m in MESSAGE_HEADING.finditer(page.text)
        if not any(s <= m.start() < e for s, e in inside)
    ]
    pastes = []
    for heading, following in zip(headings, [*headings[1:], None]):
        end = following.start() if following else len(page.text)
        for message in heading_messages(heading["text"]):
            printed = printed_message(page, heading.end(), end, message)
            paste = other_numbers(printed or " ".join(message.replace("...", " ").split()))
            pastes.append(((f"/reference/troubleshooting/#{heading['anchor']}",), paste))
    return pastes


def indexed_messages(index: dict) -> list[tuple[tuple[str, ...], str]]:
    """``(where it may lead, paste)`` for each message the index has an entry of its own for
    (one a page prints where no heading carries it), with other numbers: it must lead to an
    entry of that message, or of one with the same words (which a search by words cannot
    tell apart: "device cpu ... device meta" and "device meta ... device cpu")."""

    def words(title: str) -> frozenset[str]:
        return frozenset(re.findall(r"[a-z]+", html.unescape(title).lower()))

    entries = [d for d in index["docs"] if "#__span-" in d["location"]]
    titles = dict.fromkeys(d["title"] for d in entries)  # a message printed twice, pasted once
    return [
        (
            tuple("/" + d["location"] for d in entries if words(d["title"]) == words(title)),
            other_numbers(html.unescape(title)),
        )
        for title in titles
    ]


def test_the_pasted_messages_are_every_message_with_other_numbers():
    """What the search test pastes: every message heading, numbers changed, words kept."""
    pastes = pasted_messages()
    anchors = {where for where, _ in pastes}
    text = TROUBLESHOOTING.read_text(encoding="utf-8")
    assert len(anchors) >= 30
    for _, paste in pastes:
        assert paste == paste.strip() and "\n" not in paste
        assert paste not in text or not RUN_NUMBER.search(paste), f"{paste!r} is the page's own"
    assert other_numbers("mat1 and mat2 shapes cannot be multiplied (32x8 and 64x10)") == (
        "mat1 and mat2 shapes cannot be multiplied (67x19 and 131x23)"
    )
    assert other_numbers("Target -1 is out of bounds. conv2d 0D cuda:0 PyTorch 1.1.0") == (
        "Target -5 is out of bounds. conv2d 0D cuda:3 PyTorch 1.1.0"
    )


#: Read in the page after a query's results are shown: the first page's results, each
#: with its address and score (the page itself first, then its best sections).
FIRST_PAGE_RESULTS = """() => Array.from(
    document.querySelectorAll(".md-search-result__item:first-child a.md-search-result__link"),
    a => [new URL(a.href).pathname + new URL(a.href).hash,
          parseFloat(a.querySelector("article").dataset.mdScore)])"""


def best_results(page, pastes: list[tuple[tuple[str, ...], str]]) -> dict[str, str]:
    """Paste each message into the open search box: ``{paste: best result}``, the best-scored
    result of the first page found (its address and anchor)."""
    search = page.locator("input.md-search__input")
    meta = ".md-search-result__meta"
    found = {}
    for _, paste in pastes:
        # the result count is rewritten with every answer: blank it, and wait for the next.
        # The paste replaces the last one (selected) in one change: one query, one answer.
        page.evaluate(f"document.querySelector('{meta}').textContent = ''")
        search.press("Control+A")
        page.keyboard.insert_text(paste)  # as a paste: all at once
        page.keyboard.press("End")  # the search box answers keys, as after a paste with Ctrl+V
        page.wait_for_function(f"document.querySelector('{meta}').textContent !== ''")
        results = page.evaluate(FIRST_PAGE_RESULTS)
        found[paste] = max(results, key=lambda r: r[1])[0] if results else "nothing"
    return found


def test_pasted_error_messages_find_their_section_first(
    search_index, base_url, context, page, assert_clean
):
    """Every message the site explains or prints, pasted with other numbers than the page's
    own, finds its section first (the best-scored result of the first page found): each
    message heading of the troubleshooting page, and each message with an entry of its own."""
    pastes = pasted_messages() + indexed_messages(search_index)
    visit(page, base_url)
    page.keyboard.press("/")
    wait_for_search_index(page)
    found = best_results(page, pastes)
    wrong = {
        paste: f"{' or '.join(where)} expected, found {found[paste]}"
        for where, paste in pastes
        if found[paste] not in where
    }
    headings = len(pasted_messages())
    print(
        f"{len(pastes) - len(wrong)} of {len(pastes)} pasted messages find their section first "
        f"({headings} message headings, {len(pastes) - headings} messages indexed on their own)"
    )
    assert wrong == {}, "these pasted messages do not find their section first"
    assert_clean(context.watch.problems, page.url)


def test_a_page_downloads_as_a_script_and_a_notebook_that_run(base_url, page, tmp_path):
    """The .py and .ipynb links at the top of a page give files that run and print what the page shows."""
    visit(page, base_url + page_url(COPY_PAGE))
    links = page.locator("article a[href$='first-steps.py'], article a[href$='first-steps.ipynb']")
    hrefs = sorted(set(links.evaluate_all("as => as.map(a => a.href)")))
    assert [h.rsplit(".", 1)[1] for h in hrefs] == ["ipynb", "py"], hrefs
    expected = read(COPY_PAGE.read_text(encoding="utf-8")).plan({}).expected_stdout
    for href in hrefs:
        (tmp_path / href.rsplit("/", 1)[1]).write_bytes(page.request.get(href).body())
    script = subprocess.run(
        [sys.executable, *Sandbox.FLAGS, "first-steps.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"},
    )
    assert script.returncode == 0, script.stderr[-3000:]
    assert script.stdout == expected
    import nbformat

    # run in a fresh kernel of this interpreter, as the site's renderer runs examples
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "primersite.render.kernel",
            "first-steps.ipynb",
            "ran.ipynb",
            str(tmp_path),
            "300",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    notebook = nbformat.read(str(tmp_path / "ran.ipynb"), as_version=4)
    printed = "".join(
        o.get("text", "")
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stdout"
    )
    assert printed == expected


def test_exercise_solutions_are_hidden_until_opened_and_copy_as_code(
    base_url, new_context, assert_clean
):
    source = DOCS / "basics" / "exercises.md"
    text = source.read_text(encoding="utf-8")
    opens = [m.start() for m in re.finditer(r'^\?\?\? example "Solution"', text, re.M)]
    solutions = [next(b for b in read(text).python_blocks if b.start > at) for at in opens]
    assert solutions, "the exercises page has no solution blocks"
    ctx = new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    visit(page, base_url + page_url(source))
    details = page.locator("article details.example")
    assert details.count() == len(solutions)
    assert details.evaluate_all("ds => ds.every(d => !d.open)"), (
        "a solution is open before the reader asks"
    )
    first = details.first
    assert not first.locator("pre").first.is_visible(), "a closed solution's code is visible"
    first.locator("summary").click()
    first.locator("pre").first.wait_for(state="visible")
    page.evaluate("navigator.clipboard.writeText('')")
    first.locator("button[data-md-type='copy']").first.click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()) !== ''")
    assert page.evaluate("navigator.clipboard.readText()").rstrip("\n") == solutions[
        0
    ].source.rstrip("\n")
    assert_clean(ctx.watch.problems, page.url)


# --- example pages ------------------------------------------------------------------------


# --- a missing address --------------------------------------------------------------------


def test_missing_page_gets_a_helpful_404(base_url, context, page, assert_clean):
    missing = base_url + "tensors/first-step/"  # a reader's typo of a real page
    context.watch.allow(missing, 404)
    response = page.goto(missing, wait_until="networkidle")
    assert response.status == 404
    assert page.locator("article h1").first.text_content().strip() == "Page not found"
    assert page.locator("#missing-address").text_content() == "/tensors/first-step/"
    site_map = page.locator("#site-map a").evaluate_all("as => as.map(a => a.pathname)")
    assert "/tensors/first-steps/" in site_map, "the 404 page's list of pages lacks a real page"
    shoot(page, "404.png")
    search = page.locator("#search-missing")
    assert "tensors first step" in search.text_content()
    search.click()
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    results = page.locator(".md-search-result__item a.md-search-result__link").evaluate_all(
        "as => as.map(a => new URL(a.href).pathname)"
    )
    assert "/tensors/first-steps/" in results, (
        f"searching the missing address's words found {results}"
    )
    assert_clean(context.watch.problems, page.url)
