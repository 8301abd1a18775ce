"""The verdict on a block that needs a CUDA GPU: its ``#>`` lines against its recorded run.

Such a block (after ``<!-- skip: next gpu "why" -->``) never runs where pages are checked.
With a record for its code (:mod:`primersite.check.gpu_records`), each top-level statement's
``#>`` lines must be exactly what that statement printed on the GPU, and a recorded run that
raised fails the block. Without one, the block may show no output at all: a ``#>`` line
would be output that no run produced.
"""

from __future__ import annotations

import ast
from pathlib import Path

import primersite
from primersite.check.gpu_records import code_hash, describe, gpu_code
from primersite.check.page import Block, Page
from primersite.check.verdicts import CheckFailure, compare_output

HOW = "record it on a GPU (python -m primersite.render.gpu_blocks, see CONTRIBUTING.md)"


def page_key(path: Path, docs: Path | None = None) -> str:
    """How records name a page: its path under ``docs`` (its file name elsewhere)."""
    docs = Path(primersite.DOCS if docs is None else docs).resolve()
    path = Path(path).resolve()
    return path.relative_to(docs).as_posix() if path.is_relative_to(docs) else path.name


def stale_records(key: str, page: Page, records: dict[str, dict]) -> list[dict]:
    """Records made from page ``key`` whose code is no longer any GPU block of the page."""
    current = {code_hash(b.source) for b in page.python_blocks if b.gpu}
    found = [r for h, r in records.items() if r["page"] == key and h not in current]
    return sorted(found, key=lambda r: r["line"])


def _stale_note(stale: list[dict], block: Block) -> str:
    if not stale:
        return ""
    nearest = min(stale, key=lambda r: abs(r["line"] - block.line))
    return (
        f"; the record from {nearest['page']}:{nearest['line']} is stale: the block's code "
        "changed since it was recorded"
    )


def gpu_verdict(
    path: Path, page: Page, block: Block, records: dict[str, dict], docs: Path | None = None
) -> str | None:
    """None when the block's ``#>`` lines are its recorded output; the reason to skip it when
    it has no record and shows no output; CheckFailure otherwise."""
    __tracebackhide__ = True
    record = records.get(code_hash(block.source))
    stale = _stale_note(stale_records(page_key(path, docs), page, records), block)
    if record is None:
        shown = block.expected_lines
        if shown:
            raise CheckFailure(
                f"{path}:{block.line + shown[0][0]}: the block shows output that no recorded run "
                f"produced; {HOW}, or remove its '#>' lines{stale}"
            )
        return f"{path.name}:{block.line}: {block.skip_reason} (no recorded run{stale})"
    _check_recorded(path, block, record)
    return None


def _page_line(block: Block, line: int | None) -> int:
    """The page line of the statement that starts at ``line`` of the block's recorded code."""
    starts = [s.lineno for s in ast.parse(gpu_code(block.source)).body]
    if line not in starts:
        return block.line
    return block.statements[starts.index(line)].first


def _check_recorded(path: Path, block: Block, record: dict) -> None:
    __tracebackhide__ = True
    device = record["stamp"]["device"]
    error = record["error"]
    if error is not None:
        raise CheckFailure(
            f"{path}:{_page_line(block, error.get('line'))}: its recorded run on {device} raised "
            f"{error['type']}: {error['message']}\n{error['traceback'].rstrip()}\n"
            "(a GPU block that shows an error catches it and prints it)"
        )
    if record["writes"]:
        raise CheckFailure(
            f"{path}:{block.line}: its recorded run on {device} wrote outside its folder: "
            + ", ".join(record["writes"][:5])
        )
    outputs = {s["index"]: s["output"] for s in record["statements"]}
    for index, statement in enumerate(block.statements):
        if index not in outputs:
            raise CheckFailure(
                f"{path}:{statement.first}: the record has no output for this statement"
            )
        compare_output(path, statement, outputs[index], f"recorded on {device}")


def recorded_outputs(block: Block, records: dict[str, dict]) -> dict[int, str]:
    """``{line in the block: output}`` of each statement's last line, from the block's record
    (``{}`` without a record, or when the recorded run raised); the block has no ``#>`` lines."""
    record = records.get(code_hash(block.source))
    if record is None or record["error"] is not None:
        return {}
    outputs = {s["index"]: s["output"] for s in record["statements"]}
    body = ast.parse(block.source).body
    return {s.end_lineno: outputs[i] for i, s in enumerate(body) if i in outputs}


def reader_note(block: Block, records: dict[str, dict]) -> str | None:
    """What a reader is told above a GPU block whose output comes from a recorded run."""
    record = records.get(code_hash(block.source))
    if record is None or record["error"] is not None:
        return None
    return (
        f"Output recorded on {describe(record)}; this block ran on its own in a fresh "
        f"interpreter. It is not run when this site is built: {block.skip_reason}."
    )
