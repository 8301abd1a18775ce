"""What a page says where a block did not run: the note that replaces its skip directive,
saying why, or, for a GPU block with a recorded run, where and when its output was recorded.
"""

from __future__ import annotations

from primersite.check.gpu_check import reader_note
from primersite.check.page import Directive, Page


def skip_note(directive: Directive, records: dict[str, dict]) -> str | None:
    """The note shown in place of ``directive`` (None: a malformed one, left to the checker)."""
    skip = directive.skip
    if skip is None:
        return None
    if skip.env:
        text = f"Runs only where `${skip.env}` is set; otherwise skipped: {skip.reason}."
    else:
        text = f"Not run when this page was checked: {skip.reason}."
    if skip.gpu and directive.block is not None:
        text = reader_note(directive.block, records) or text
    return f'{directive.indent}<p class="skip-note" markdown>{text}</p>\n'


def recorded(page: Page, records: dict[str, dict]) -> int:
    """How many of the page's GPU blocks show output from a recorded run."""
    return sum(b.gpu and reader_note(b, records) is not None for b in page.python_blocks)
