"""One run per page: made on first use, shared by all of the page's verdicts, forked from
one pre-imported parent (:class:`~primersite.check.zygote.Zygote`) started once.

The pytest plugin (:mod:`primersite.pytest_plugin`) closes the store when the session
ends; ``python -m primersite`` makes its own. ``PRIMERSITE_NO_ZYGOTE=1`` runs every page
in a new interpreter instead, for when a result is in doubt.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from primersite.check.page import Page, Plan
from primersite.check.runner import PageRun, run_blocks
from primersite.check.zygote import Zygote


class PageRuns:
    """Page runs by page, text and plan, and the zygote they fork from."""

    def __init__(self, fork: bool | None = None) -> None:
        self.fork = os.environ.get("PRIMERSITE_NO_ZYGOTE") != "1" if fork is None else fork
        self._runs: dict[tuple[str, str, tuple], PageRun] = {}
        self._zygote: Zygote | None = None

    def run(self, path: Path, page: Page, plan: Plan) -> PageRun:
        """The run of ``plan`` of the page at ``path`` (made once, then shared)."""
        digest = hashlib.sha256(page.text.encode()).hexdigest()
        key = (str(path), digest, tuple(b.line for b in plan.blocks))
        if key not in self._runs:
            if self.fork and self._zygote is None:
                self._zygote = Zygote()
            self._runs[key] = run_blocks(
                plan.requests, plan.script, Path(path).stem, zygote=self._zygote
            )
        return self._runs[key]

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None
        self._runs.clear()


#: The store of this process (a pytest worker, or an author's command).
RUNS = PageRuns()
