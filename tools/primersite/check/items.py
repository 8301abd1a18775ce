"""Pages as pytest items, through sybil: the page's text, each python block, the page as a
script. Each page is read once (:func:`~primersite.check.lex.read`) and run once
(:data:`~primersite.check.runs.RUNS`); its items read their facts from that one model.

>>> from sybil import Sybil
>>> isinstance(page_sybil(patterns=["*.md"]), Sybil)
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sybil import Document, Region, Sybil

from primersite import ROOT
from primersite.check.gpu_check import gpu_verdict
from primersite.check.gpu_records import load_records
from primersite.check.lex import docs_uri, read
from primersite.check.page import Block, Page
from primersite.check.rules import problems
from primersite.check.runs import RUNS
from primersite.check.verdicts import CheckFailure, check_block, check_script


@dataclass(frozen=True)
class Item:
    kind: str  # "text", "block" or "script"
    page: Page
    block: Block | None = None


def _evaluate(example) -> None:
    __tracebackhide__ = True
    item: Item = example.parsed
    path = Path(example.path)
    if item.kind == "text":
        found = problems(item.page)
        if found:
            raise CheckFailure(f"{path}:\n  " + "\n  ".join(found))
        return
    if item.kind == "block" and item.block.gpu:  # checked against its recorded run
        reason = gpu_verdict(path, item.page, item.block, load_records())
        if reason is not None:
            pytest.skip(reason)
        return
    plan = item.page.plan(os.environ)
    if item.kind == "block" and plan.index(item.block) is None:
        pytest.skip(f"{path.name}:{item.block.line}: {item.block.skip_reason}")
    run = RUNS.run(path, item.page, plan)
    if item.kind == "block":
        check_block(path, item.block, plan, run)
    else:
        check_script(path, plan, run)


def parse_page(document: Document) -> Iterator[Region]:
    """Sybil parser: the page's text, each python block, and the page as a script."""
    page = read(document.text, snippet_base=ROOT, uri=docs_uri(document.path))
    yield Region(0, 0, parsed=Item("text", page), evaluator=_evaluate)
    for b in page.python_blocks:
        yield Region(b.start, b.end, parsed=Item("block", page, b), evaluator=_evaluate)
    if page.python_blocks:
        end = len(document.text)
        yield Region(end, end, parsed=Item("script", page), evaluator=_evaluate)


def page_sybil(**kwargs) -> Sybil:
    return Sybil(parsers=[parse_page], **kwargs)
