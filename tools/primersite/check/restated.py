"""A page that restates a claim keeps to it: the claim is the single source of its verdict.

A claim (``!!! claim <verdict> "statement"``) is judged once, on its page, with executed
evidence. Another page (the glossary, the cheat sheet, the troubleshooting page, a lesson)
that says the same thing in its own words could drift from it: say plainly what the claim
rules wrong, or keep an old verdict. So:

* a sentence that restates a claim not judged "holds" (most of the claim's words, at least
  four of them, in one sentence, or in one definition of a term) links to the claim in
  its paragraph, where the reader
  finds the verdict and the evidence;
* a link to a claim leads to one that exists, and a link whose text is a verdict
  ("caveat", "wrong", "Holds, with a caveat") names the claim's verdict as it stands.

The words of a statement are its lower-case words of three letters or more, less common
words: "torch.inference_mode() is the fastest way to predict." is {torch, inference_mode,
fastest, predict}.

>>> sorted(words("torch.inference_mode() is the fastest way to predict."))
['fastest', 'inference_mode', 'predict', 'torch']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from primersite.check.lex import DOCS
from primersite.check.linked import resolve, site_page
from primersite.check.numbers import blanked, paragraph_of
from primersite.check.page import VERDICTS, Page

COMMON = frozenset(
    "the and for are its this that with from not can you your than then when what which into"
    " only just any all one two use uses used make makes does way more most less same also has"
    " have had will was were their them they there but out".split()
)
#: The share of a claim's words a sentence must hold to restate it, and the fewest words a
#: claim must have to be recognised (with fewer, a sentence on the same topic matches).
SHARE, FEWEST = 0.75, 4
#: A definition (a term, then ``:`` and what it means): it is about its term throughout, so
#: its words are read together, not sentence by sentence.
DEFINITION = re.compile(r"\s*[^\n:]+\n:[ \t]")
#: A link to a claim: its text and its target (a page, or none for the page itself).
CLAIM_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s#]*)#(?P<anchor>claim-[\w-]+)\)")


@dataclass(frozen=True)
class SiteClaim:
    uri: str  # the page it is on, under docs/
    anchor: str
    verdict: str
    title: str
    words: frozenset[str]


def words(text: str) -> frozenset[str]:
    """The words that say what a statement is about (the module's docstring)."""
    found = re.findall(r"[a-z][a-z0-9_]+", text.lower())
    return frozenset(w for w in found if len(w) > 2 and w not in COMMON)


@functools.cache
def site_claims() -> dict[tuple[str, str], SiteClaim]:
    """Every claim of the site's pages, by ``(page, anchor)``."""
    found = {}
    for path in sorted(DOCS.rglob("*.md")):
        uri = path.relative_to(DOCS).as_posix()
        for c in site_page(uri).claims:  # read once, shared with the other checks
            found[uri, c.anchor] = SiteClaim(
                uri, c.anchor, c.verdict or "", c.title, words(c.title)
            )
    return found


def _prose(page: Page) -> str:
    """The page's text without its front matter, code blocks and its own claims' lines."""
    spans = [(0, page.body_start), *((b.start, b.end) for b in page.blocks)]
    return blanked(page.text, spans + [(c.start, c.end) for c in page.claims])


def restated_claims(page: Page) -> Iterator[str]:
    """Sentences that restate a claim not judged "holds", without linking to it."""
    claims = [
        c
        for c in site_claims().values()
        if c.uri != page.uri and c.verdict != "holds" and len(c.words) >= FEWEST
    ]
    text = _prose(page)
    told = set()  # (paragraph, claim): a definition is told once
    for m in re.finditer(r"[^.!?\n]+(?:\n(?![ \t]*\n)[^.!?\n]*)*", text):
        start, end = paragraph_of(text, m.start())
        said = words(text[start:end] if DEFINITION.match(text, start) else m[0])
        for c in claims:
            if len(said & c.words) < SHARE * len(c.words):
                continue
            if f"#{c.anchor})" not in page.text[start:end] and (start, c) not in told:
                told.add((start, c))
                line = page.text.count("\n", 0, m.start()) + 1
                yield (
                    f'line {line}: restates the claim "{c.title}" ({c.verdict}, {c.uri}) '
                    f"without linking to it: link its paragraph to {c.uri}#{c.anchor}"
                )


def claim_links(page: Page) -> Iterator[str]:
    """Links to claims lead to one, and a verdict in a link's text is the claim's own."""
    claims = site_claims()
    names = {v.lower(): k for k, v in VERDICTS.items()} | {k: k for k in VERDICTS}
    for m in CLAIM_LINK.finditer(page.text):
        uri = resolve(page, m["target"]) if m["target"] else page.uri
        if uri is None:
            continue
        line = page.text.count("\n", 0, m.start()) + 1
        claim = claims.get((uri, m["anchor"]))
        if claim is None:
            yield f"line {line}: {uri}#{m['anchor']} is no claim of the site"
            continue
        said = names.get(m["text"].strip().lower())
        if said is not None and said != claim.verdict:
            yield (
                f"line {line}: the link says {m['text']!r} but the claim "
                f'"{claim.title}" is judged {claim.verdict}'
            )
