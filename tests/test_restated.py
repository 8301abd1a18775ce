"""A page that restates a claim keeps to it (``primersite.check.restated``): the glossary,
the cheat sheet or a lesson cannot say plainly what a claim rules wrong, or keep an old
verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from primersite.check.lex import read, read_page
from primersite.check.restated import FEWEST, claim_links, restated_claims, site_claims

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "reference" / "glossary.md"


def judged(verdict: str):
    """A claim of the site with this verdict, long enough to be recognised."""
    return next(
        c for c in site_claims().values() if c.verdict == verdict and len(c.words) >= FEWEST
    )


def link(claim, text: str) -> str:
    return f"[{text}](../{claim.uri}#{claim.anchor})"


@pytest.mark.parametrize("verdict", ["wrong", "caveat", "outdated"])
def test_restating_a_claim_in_the_glossary_without_its_verdict_fails(verdict):
    """Plant the claim's statement, as a plain fact, into the real glossary."""
    claim = judged(verdict)
    glossary = GLOSSARY.read_text(encoding="utf-8")
    planted = glossary + f"\nA fact\n:   {claim.title}\n"
    found = list(restated_claims(read(planted, uri="reference/glossary.md")))
    line = len(glossary.splitlines()) + 2  # the definition's term line: its sentence starts there
    assert found == [
        f'line {line}: restates the claim "{claim.title}" ({claim.verdict}, {claim.uri}) '
        f"without linking to it: link its paragraph to {claim.uri}#{claim.anchor}"
    ]
    linked = glossary + f"\nA fact\n:   {claim.title} It is {link(claim, verdict)}.\n"
    assert list(restated_claims(read(linked, uri="reference/glossary.md"))) == []


def test_a_claim_that_holds_may_be_restated():
    claim = judged("holds")
    assert list(restated_claims(read(f"# T\n\n{claim.title}\n", uri="x/y.md"))) == []


def test_a_claims_own_page_states_it():
    claim = judged("wrong")
    page = read_page(ROOT / "docs" / claim.uri, ROOT)
    assert list(restated_claims(page)) == []


def test_a_link_that_names_a_verdict_names_the_claims_own():
    claim = judged("caveat")
    right = read(f"# T\n\nSee {link(claim, 'caveat')}.\n", uri="x/y.md")
    wrong = read(f"# T\n\nSee {link(claim, 'wrong')}.\n", uri="x/y.md")
    assert list(claim_links(right)) == []
    assert list(claim_links(wrong)) == [
        f"line 3: the link says 'wrong' but the claim \"{claim.title}\" is judged caveat"
    ]
    spelled = read(f"# T\n\nSee {link(claim, 'Holds, with a caveat')}.\n", uri="x/y.md")
    assert list(claim_links(spelled)) == []


def test_a_link_to_a_claim_leads_to_one():
    page = read("# T\n\nSee [this](../training/autograd.md#claim-no-such-thing).\n", uri="x/y.md")
    assert list(claim_links(page)) == [
        "line 3: training/autograd.md#claim-no-such-thing is no claim of the site"
    ]


def test_a_lesson_sentence_restating_a_wrong_claim_fails_and_one_on_its_topic_passes():
    claim = judged("wrong")
    said = read(f"# T\n\nAs everyone knows: {claim.title}\n", uri="x/y.md")
    assert len(list(restated_claims(said))) == 1
    topic = " ".join(sorted(claim.words)[:2])  # two of its words: the topic, not the claim
    assert list(restated_claims(read(f"# T\n\nOn {topic}.\n", uri="x/y.md"))) == []
