"""The site read as a course: terms are taught before they are used, and the course is whole.

* **Term order.** Every entry of the glossary (``docs/reference/glossary.md``) names the page
  that teaches it ("Taught in: [page](...)") and, in the glossary's front matter
  (``match:``), the regular expressions that find the term on a page (case-insensitive
  unless a pattern says ``(?-i:...)``). Reading the pages in nav order, every page that uses
  a term before its teaching page must link to the teaching page ("explained in [X](...);
  for now, read it as ..."). A *use* is a match anywhere in the page's Markdown: prose,
  inline code and code blocks, with word boundaries as the pattern gives them. Not a use:
  the front matter, HTML comments, the targets of links (a link's text still counts), and
  the ``#>`` output lines of blocks (what PyTorch printed, not what the page says). The
  glossary's own section (Reference) and About are not lessons and are skipped.
* **The course.** Every page in the nav has a ``level`` (core, optional, advanced); the
  landing page's core path lists exactly the core pages, in nav order; every core page
  ends with a Summary and two or three exercises whose solutions are checked code, and
  has no hand-written "Next:" (the site generates it); every section of lessons has an
  exercises page.

The checks are plain functions of (nav, pages), so the planted-error tests below can run
them on a made-up course.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GLOSSARY = "reference/glossary.md"
NOT_LESSONS = ("reference/", "about/")  # pages that define or describe, not teach
LEVELS = {"core", "optional", "advanced"}
# sections of the nav that are lessons, so each needs an exercises page
NO_EXERCISES = {"Home", "Examples", "Reference", "Going deeper", "About"}

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)---[ \t]*\n", re.S)
COMMENT = re.compile(r"<!--.*?-->", re.S)
OUTPUT_LINE = re.compile(r"^[ \t]*#>.*$", re.M)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
TAUGHT_IN = re.compile(r"Taught in: \[[^\]]+\]\((?P<target>[^)\s]+)\)")
TERM_LINE = re.compile(r"^(?P<term>\S[^\n]*)\n:   ", re.M)


# --- reading -------------------------------------------------------------------------------


def nav_sections(config_text: str) -> list[tuple[str, list[str]]]:
    """``[(section title, [page uri, ...]), ...]`` of the nav, Markdown pages only."""
    nav = yaml.load(config_text, Loader=yaml.BaseLoader)["nav"]
    sections = []

    def walk(entries, into):
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            if isinstance(value, list):
                walk(value, into)
            elif value.endswith(".md"):
                into.append(value)

    for entry in nav:
        title, value = next(iter(entry.items())) if isinstance(entry, dict) else (None, entry)
        pages: list[str] = []
        walk(value if isinstance(value, list) else [value], pages)
        sections.append((title or value, pages))
    return sections


def split_front_matter(text: str) -> tuple[dict, str]:
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text
    meta = yaml.safe_load(m["yaml"]) or {}
    return (meta if isinstance(meta, dict) else {}), text[m.end() :]


def resolve(page: str, target: str) -> str | None:
    """The docs-relative page a link from ``page`` points to (None outside the site)."""
    target = target.split("#", 1)[0]
    if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("/"):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), target))


@dataclass
class Reading:
    """A page as the term check reads it: the text that counts as use, and where it links."""

    text: str
    links: set[str]
    body_start: int  # the line of the page where ``text`` starts

    def first_use(self, patterns: list[re.Pattern]) -> tuple[int, str] | None:
        hits = [m for p in patterns for m in [p.search(self.text)] if m]
        if not hits:
            return None
        m = min(hits, key=lambda h: h.start())
        line = self.text.count("\n", 0, m.start()) + self.body_start
        start = self.text.rfind("\n", 0, m.start()) + 1
        end = self.text.find("\n", m.end())
        return line, self.text[start : end if end >= 0 else None].strip()[:100]


@cache
def read(uri: str, text: str) -> Reading:
    _, body = split_front_matter(text)
    body_start = text[: len(text) - len(body)].count("\n") + 1
    links = {r for m in LINK.finditer(body) if (r := resolve(uri, m["target"]))}
    # blank out what is not a use, keeping line numbers
    blank = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    body = COMMENT.sub(blank, body)
    body = OUTPUT_LINE.sub(blank, body)
    body = LINK.sub(lambda m: "]" + " " * (len(m.group(0)) - 1), body)
    return Reading(body, links, body_start)


@dataclass
class Term:
    name: str
    taught_in: str  # docs-relative page
    patterns: list[re.Pattern]


def spaces_match_any_whitespace(pattern: str) -> str:
    """A space of the pattern, outside ``[...]``, also matches a line break and indentation."""
    out, in_class, escaped = [], False, False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif ch == "]":
            in_class = False
            out.append(ch)
        else:
            out.append(r"\s+" if ch == " " and not in_class else ch)
    return "".join(out)


def glossary_terms(text: str, uri: str = GLOSSARY) -> list[Term]:
    """Every entry of the glossary, with its teaching page and its patterns."""
    meta, body = split_front_matter(text)
    match = meta.get("match") or {}
    starts = list(TERM_LINE.finditer(body))
    terms = []
    for i, m in enumerate(starts):
        entry = body[m.start() : starts[i + 1].start() if i + 1 < len(starts) else len(body)]
        name = m["term"].strip()
        taught = TAUGHT_IN.search(entry)
        assert taught, f"glossary entry {name!r} names no page (Taught in: [page](...))"
        assert name in match, (
            f"glossary entry {name!r} has no patterns under match: in the front matter"
        )
        patterns = [re.compile(spaces_match_any_whitespace(p), re.I) for p in match[name]]
        terms.append(Term(name, resolve(uri, taught["target"]), patterns))
    return terms


def term_order_problems(order: list[str], texts: dict[str, str], terms: list[Term]) -> list[str]:
    """One line per use of a term before its teaching page, on a page that does not link there."""
    readings = {uri: read(uri, texts[uri]) for uri in order}
    problems = []
    for term in terms:
        if term.taught_in not in order:
            problems.append(
                f"{term.name}: taught in {term.taught_in}, which is not a page of the nav (not written yet?)"
            )
            continue
        teacher = order.index(term.taught_in)
        if readings[term.taught_in].first_use(term.patterns) is None:
            problems.append(f"{term.name}: {term.taught_in}, its teaching page, never uses it")
        for uri in order[:teacher]:
            if uri.startswith(NOT_LESSONS):
                continue
            used = readings[uri].first_use(term.patterns)
            if used and term.taught_in not in readings[uri].links:
                line, context = used
                problems.append(
                    f"{term.name}: {uri}:{line} uses it before {term.taught_in} teaches it, "
                    f"without linking there: {context!r}"
                )
    return problems


# --- the real site -------------------------------------------------------------------------


@cache
def site() -> tuple[list[tuple[str, list[str]]], dict[str, str]]:
    sections = nav_sections((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    texts = {
        uri: (DOCS / uri).read_text(encoding="utf-8")
        for _, pages in sections
        for uri in pages
        if (DOCS / uri).is_file()
    }
    return sections, texts


def nav_order() -> list[str]:
    sections, texts = site()
    return [uri for _, pages in sections for uri in pages if uri in texts]


def real_terms() -> list[Term]:
    return glossary_terms((DOCS / GLOSSARY).read_text(encoding="utf-8"))


@pytest.mark.parametrize("term", real_terms(), ids=lambda t: t.name.strip("`"))
def test_term_is_taught_before_it_is_used(term):
    _, texts = site()
    assert term_order_problems(nav_order(), texts, [term]) == []


def test_glossary_covers_the_terms_the_course_depends_on():
    names = {t.name.strip("`").lower() for t in real_terms()}
    for expected in (
        "matrix multiplication",
        "reduction",
        "strides",
        "epoch",
        "loss",
        "chain rule",
        "fan-in",
        "overfitting",
        "weight decay",
        "hyperparameter",
        "confusion matrix",
        "precision and recall",
        "cross-entropy loss",
    ):
        assert expected in names


def test_every_nav_page_exists_and_has_a_level():
    sections, texts = site()
    missing = [uri for _, pages in sections for uri in pages if uri not in texts]
    assert missing == [], "pages in the nav that do not exist"
    examples = {u for title, pages in sections if title == "Examples" for u in pages}
    no_level = [
        uri
        for uri in nav_order()
        if uri not in examples and split_front_matter(texts[uri])[0].get("level") not in LEVELS
    ]
    assert no_level == [], f"pages without level: {' | '.join(sorted(LEVELS))}"


def core_pages() -> list[str]:
    _, texts = site()
    return [u for u in nav_order() if split_front_matter(texts[u])[0].get("level") == "core"]


def test_landing_page_lists_the_core_path_in_nav_order():
    _, texts = site()
    section = re.search(r"^## The core path.*?(?=^## )", texts["index.md"], re.M | re.S)
    assert section, "index.md has no '## The core path' section"
    listed = [resolve("index.md", m["target"]) for m in LINK.finditer(section.group(0))]
    assert listed == [u for u in core_pages() if u != "index.md"]


def test_the_first_page_that_trains_on_real_data_comes_early():
    order = nav_order()
    assert order[0] == "index.md"  # Home is position 1
    assert order.index("training/training-pipeline.md") + 1 <= 12


def lesson_problems(uri: str, text: str) -> list[str]:
    """What a core page's ending lacks: a Summary, then 2-3 exercises with checked solutions."""
    _, body = split_front_matter(text)
    problems = []
    if re.search(r"^\s*Next:", body, re.M):
        problems.append("a hand-written 'Next:' line (the site generates it)")
    if re.search(r"Every block (on this page )?runs", body):
        problems.append("repeats 'Every block runs...' (the page header says it)")
    headings = re.findall(r"^## (.+?)\s*$", body, re.M)
    if headings[-2:] != ["Summary", "Exercises"]:
        problems.append(
            f"does not end with '## Summary' then '## Exercises' (ends {headings[-2:]})"
        )
        return problems
    exercises = body[body.rindex("\n## Exercises") :]
    solutions = re.split(r'^[ \t]*\?\?\? example "Solution"[ \t]*$', exercises, flags=re.M)[1:]
    if not 2 <= len(solutions) <= 3:
        problems.append(f"{len(solutions)} exercises with a solution box, not 2 or 3")
    for n, solution in enumerate(solutions, 1):
        box = re.match(r"(?:\n(?:[ \t]{4}.*|[ \t]*))*", solution).group(0)
        if "```python" not in box or "#>" not in box:
            problems.append(f"solution {n} has no python block with checked output")
    return problems


@pytest.mark.parametrize("uri", [u for u in core_pages() if u != "index.md"])
def test_core_page_ends_with_summary_and_exercises(uri):
    _, texts = site()
    assert lesson_problems(uri, texts[uri]) == []


def test_every_section_of_lessons_has_exercises():
    sections, texts = site()
    for title, pages in sections:
        if title in NO_EXERCISES or not pages:
            continue
        assert any(re.search(r"^# Exercises", texts.get(u, ""), re.M) for u in pages), title


# --- the checks themselves, on a made-up course --------------------------------------------

GLOSSARY_TEXT = """---
match:
  Epoch:
    - '\\bepochs?\\b'
  '`state_dict`':
    - '\\bstate_dict\\b'
---
# Glossary

Epoch
:   One pass over the training set.

    Taught in: [Loaders](../data/loaders.md#epochs)

`state_dict`
:   The named tensors of a model.

    Taught in: [Saving](../saving.md)
"""

ORDER = ["index.md", "basics/intro.md", "data/loaders.md", "saving.md", GLOSSARY]


def made_up(intro: str) -> dict[str, str]:
    return {
        "index.md": "# Home\n\nA course.\n",
        "basics/intro.md": "---\ndescription: x\n---\n# Intro\n\n" + intro,
        "data/loaders.md": "# Loaders\n\nAn epoch is one pass.\n",
        "saving.md": "# Saving\n\n`model.state_dict()` holds the weights.\n",
        GLOSSARY: GLOSSARY_TEXT,
    }


def test_glossary_entries_are_read_with_their_page_and_patterns():
    terms = glossary_terms(GLOSSARY_TEXT)
    assert [(t.name, t.taught_in) for t in terms] == [
        ("Epoch", "data/loaders.md"),
        ("`state_dict`", "saving.md"),
    ]


def test_a_planted_early_use_fails():
    texts = made_up("Train for ten epochs, then stop.\n")
    problems = term_order_problems(ORDER, texts, glossary_terms(GLOSSARY_TEXT))
    assert len(problems) == 1
    assert problems[0].startswith("Epoch: basics/intro.md:6 uses it before data/loaders.md")


def test_an_early_use_in_code_fails_too():
    texts = made_up("```python\nsd = model.state_dict()\n```\n")
    (problem,) = term_order_problems(ORDER, texts, glossary_terms(GLOSSARY_TEXT))
    assert problem.startswith("`state_dict`: basics/intro.md:7")


def test_an_early_use_that_links_to_the_teaching_page_passes():
    texts = made_up("Train for ten epochs ([Loaders](../data/loaders.md#epochs) explains them).\n")
    assert term_order_problems(ORDER, texts, glossary_terms(GLOSSARY_TEXT)) == []


def test_output_lines_link_targets_comments_and_front_matter_are_not_uses():
    texts = made_up(
        "<!-- epochs, in a comment -->\n"
        "[the loader page](../data/other-epoch-page.md)\n"
        "```python\nprint('x')\n#> epoch 1: loss 0.5\n```\n"
    )
    texts["basics/intro.md"] = texts["basics/intro.md"].replace(
        "description: x", "description: ten epochs"
    )
    assert term_order_problems(ORDER, texts, glossary_terms(GLOSSARY_TEXT)) == []


def test_a_teaching_page_that_never_uses_its_term_fails():
    texts = made_up("Nothing here.\n")
    texts["data/loaders.md"] = "# Loaders\n\nBatches.\n"
    (problem,) = term_order_problems(ORDER, texts, glossary_terms(GLOSSARY_TEXT))
    assert problem == "Epoch: data/loaders.md, its teaching page, never uses it"


def test_a_term_may_break_across_lines():
    glossary = GLOSSARY_TEXT.replace("'\\bepochs?\\b'", "'\\bone epoch\\b'")
    texts = made_up("Train for one\n    epoch only.\n")
    texts["data/loaders.md"] = "# Loaders\n\nOne epoch is one pass.\n"
    (problem,) = term_order_problems(ORDER, texts, glossary_terms(glossary))
    assert problem.startswith("Epoch: basics/intro.md:6")


def test_word_boundaries_and_case():
    texts = made_up("EPOCHS matter. The epochal change and epochless code do not.\n")
    problems = term_order_problems(ORDER, texts, glossary_terms(GLOSSARY_TEXT))
    assert len(problems) == 1 and "'EPOCHS matter." in problems[0]


def test_lesson_endings_are_checked():
    good = (
        "# P\n\n## Summary\n\n- a\n\n## Exercises\n\n### 1. A\n\n"
        + '??? example "Solution"\n    ```python\n    print(1)\n    #> 1\n    ```\n\n' * 2
    )
    assert lesson_problems("p.md", good) == []
    assert lesson_problems("p.md", good + "\nNext: [x](x.md)\n") != []
    one = (
        good.split("### 1. A", 1)[0]
        + '### 1. A\n\n??? example "Solution"\n    ```python\n    print(1)\n    #> 1\n    ```\n'
    )
    assert lesson_problems("p.md", one) == ["1 exercises with a solution box, not 2 or 3"]
