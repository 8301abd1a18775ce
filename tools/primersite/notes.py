"""What a page says about its own checking, above its code: the "Verified" banner (which
blocks ran, with which versions) and, where a block did not run, the note that says why, or,
for a GPU block with a recorded run, where and when its output was recorded.

Used by the MkDocs hooks (:mod:`primersite.hooks`).
"""

from __future__ import annotations

import re

from primersite import ROOT
from primersite.gpu_check import reader_note
from primersite.pages import Page, lex

SKIP_LINE = re.compile(r"^(?P<indent>[ \t]*)<!--\s*skip:.*?-->[ \t]*$", re.M)


def banner(versions: dict[str, str], page: Page, recorded: int = 0) -> str:
    """The "Verified" box: what ran, what did not (``recorded`` of those with output recorded
    on a GPU), with which versions."""
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
        if recorded:
            text += (
                f" {recorded} of them show{'s' if recorded == 1 else ''} output recorded on a GPU, "
                "as the note above each says."
            )
    if shell:
        text += f" The {len(shell)} shell block{'s' if len(shell) > 1 else ''} show{'' if len(shell) > 1 else 's'} commands to type; they are not run."
    return f'!!! success "Verified"\n    {text} [How pages are verified](/about/verified/)\n'


def recorded(page: Page, records: dict[str, dict]) -> int:
    """How many of the page's GPU blocks show output from a recorded run."""
    return sum(b.gpu and reader_note(b, records) is not None for b in page.python_blocks)


def skip_notes(markdown: str, records: dict[str, dict] | None = None) -> str:
    """Each skip directive becomes a visible note, so the reader sees which block did not run
    and why; a GPU block with a recorded run says where and when its output was recorded."""
    blocks = lex(markdown, snippet_base=ROOT).python_blocks if records else []

    def note(m: re.Match) -> str:
        d = lex(m.group(0).strip()).directives
        if not d or d[0].reason is None:
            return m.group(0)
        when = (
            f"Runs only where `${d[0].env}` is set; otherwise skipped: "
            if d[0].env
            else "Not run when this page was checked: "
        )
        text = f"{when}{d[0].reason}."
        block = next((b for b in blocks if b.start >= m.end()), None)
        if d[0].gpu and block is not None and block.gpu:
            text = reader_note(block, records) or text
        return f'{m["indent"]}<p class="skip-note" markdown>{text}</p>\n'

    return SKIP_LINE.sub(note, markdown)
