"""Claims (``!!! claim <verdict> "statement"``) as a reader sees them, and the site's list of
them on ``about/claims.md``.

>>> from primersite.check.lex import read
>>> page = read('# T\\n\\n!!! claim wrong "Tensors are arrays."\\n    Not quite.\\n')
>>> print(claim_markdown(page.claims[0], "x.md"))
<a id="claim-tensors-are-arrays"></a>
<BLANKLINE>
!!! claim claim-wrong "You may read: “Tensors are arrays.”"
    **Verdict: wrong.**
<BLANKLINE>
"""

from __future__ import annotations

from primersite.check.page import VERDICTS, Claim


def claim_markdown(claim: Claim, src_uri: str) -> str:
    """The claim's first line as the site shows it: an anchor, "You may read:", the verdict."""
    if claim.verdict not in VERDICTS or not claim.title:
        raise ValueError(
            f"{src_uri}:{claim.line}: a claim needs a verdict ({', '.join(VERDICTS)}) and a "
            "statement"
        )
    i = claim.indent
    return (
        f'{i}<a id="{claim.anchor}"></a>\n\n'
        f'{i}!!! claim claim-{claim.verdict} "You may read: “{claim.title}”"\n'
        f"{i}    **Verdict: {VERDICTS[claim.verdict].lower()}.**\n"
    )


def claims_table(claims: list[tuple[str, str, Claim]]) -> str:
    """Every claim on the site (``(page, page title, claim)``), by verdict, each linking to
    where it is checked."""
    if not claims:
        return "No page states a claim yet."
    counts = ", ".join(
        f"{sum(c.verdict == v for _, _, c in claims)} {label.lower()}"
        for v, label in VERDICTS.items()
    )
    rows = ["| Verdict | You may read | Checked on |", "| --- | --- | --- |"]
    for verdict, label in VERDICTS.items():
        for uri, title, c in sorted(
            (x for x in claims if x[2].verdict == verdict), key=lambda x: x[0]
        ):
            rows.append(
                f"| {label} | “{c.title.replace('|', '&#124;')}” | [{title}](../{uri}#{c.anchor}) |"
            )
    return f"{len(claims)} claims: {counts}.\n\n" + "\n".join(rows) + "\n"
