"""The side of GPU recording that reads pages: export the GPU blocks, merge the results of
their run into the records, and say which blocks have a current record.

See :mod:`primersite.render.gpu_blocks` for the commands, :mod:`primersite.check.gpu_records`
for the files. Every function takes the docs folder, the checkout and the records file, so that
tests can point them at a folder of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import primersite
from primersite.check import gpu_records
from primersite.check.gpu_check import stale_records
from primersite.check.gpu_records import (
    EXPORT_FORMAT,
    INDEX,
    RESULTS_FORMAT,
    RecordsError,
    check_run,
    check_stamp,
    code_hash,
    describe,
    gpu_code,
    load_records,
    read_json,
    save_records,
)
from primersite.check.lex import read_page
from primersite.check.page import Block, Page


def gpu_blocks(docs: Path | None = None, root: Path | None = None) -> list[tuple[str, Page, Block]]:
    """``(page under docs, page, block)`` of every GPU block of the pages, in order."""
    docs = Path(primersite.DOCS if docs is None else docs)
    root = Path(primersite.ROOT if root is None else root)
    found = []
    for path in sorted(docs.rglob("*.md")):
        rel = path.relative_to(docs)
        if rel.parts[0].startswith("_"):
            continue  # theme overrides, not pages
        page = read_page(path, root)
        found += [(rel.as_posix(), page, b) for b in page.python_blocks if b.gpu]
    return found


def export(folder: Path, docs: Path | None = None, root: Path | None = None) -> int:
    """Write ``folder/index.json`` and one run request per GPU block (see gpu_blocks)."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise RecordsError(f"{folder}: exists and is not an empty folder; export into a new one")
    entries = []
    for page, _, block in gpu_blocks(docs, root):
        digest, code = code_hash(block.source), gpu_code(block.source)
        request = f"blocks/{digest[:16]}/request.json"
        script = f"run/{Path(page).stem.replace('-', '_')}_page.py"
        entries.append(
            {"page": page, "line": block.line, "hash": digest, "code": code, "request": request}
        )
        there = folder / request
        if there.exists():
            continue  # the same code on another page: one request
        (there.parent / "run").mkdir(parents=True)
        (there.parent / script).write_text(code, encoding="utf-8")
        # the child's request, paths relative to its folder; line 0: statements are
        # numbered from the block's first line, wherever the block stands
        blocks = [{"line": 0, "source": code}]
        there.write_text(json.dumps({"blocks": blocks, "script": script, "run_dir": "run"}))
    folder.mkdir(parents=True, exist_ok=True)
    index = {"format": EXPORT_FORMAT, "blocks": entries}
    (folder / INDEX).write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    pages = len({e["page"] for e in entries})
    print(f"exported {len(entries)} GPU blocks of {pages} pages to {folder}")
    return 0


def read_results(path: Path, allow_cpu: bool) -> tuple[dict, dict[str, dict]]:
    """The stamp and the results of a run; RecordsError unless whole and, without
    ``allow_cpu``, made on a GPU."""
    data = read_json(path, RESULTS_FORMAT)
    check_stamp(data.get("stamp"), str(path))
    results = data.get("results")
    if not isinstance(results, dict):
        raise RecordsError(f"{path}: no results object")
    for key, result in results.items():
        check_run(key, result, str(path))
    if data["stamp"]["gpu"] is None and not allow_cpu:
        raise RecordsError(
            f"{path}: recorded on {data['stamp']['device']}, not a GPU (a dry run); "
            "merge takes it only with --allow-cpu"
        )
    return data["stamp"], results


def merge(
    results_path: Path,
    records_path: Path | None = None,
    docs: Path | None = None,
    root: Path | None = None,
    allow_cpu: bool = False,
) -> int:
    """Add or replace the records of the results whose code is still a GPU block's; drop the
    stale records of the pages merged into. Writes the records file whole, or nothing."""
    stamp, results = read_results(results_path, allow_cpu)
    records = load_records(records_path)
    current = {code_hash(b.source): (rel, page, b) for rel, page, b in gpu_blocks(docs, root)}
    merged, lines = set(), []
    for key, result in sorted(results.items(), key=lambda kv: (kv[1]["page"], kv[1]["line"])):
        if key not in current:
            lines.append(
                f"skipped {result['page']}:{result['line']} ({key[:12]}): no GPU block of the "
                "pages has this code now (it changed since the export; export and run it again)"
            )
            continue
        rel, _, block = current[key]
        record = {k: v for k, v in result.items() if k != "seconds"}
        records[key] = {**record, "page": rel, "line": block.line, "stamp": stamp}
        merged.add(rel)
        raised = f" (it raised {result['error']['type']})" if result["error"] else ""
        lines.append(f"merged {rel}:{block.line} ({key[:12]}){raised}")
    for rel, page, _ in {v[0]: v for v in current.values()}.values():
        if rel in merged:
            for old in stale_records(rel, page, records):
                if code_hash(old["code"]) in current:
                    continue  # its code is another page's block now
                del records[code_hash(old["code"])]
                lines.append(f"dropped the stale record from {rel}:{old['line']}")
    if merged:
        save_records(records, records_path)
    print("\n".join(lines + [f"{len(merged)} pages updated in {records_path or 'the records'}"]))
    return 0


def status(
    records_path: Path | None = None, docs: Path | None = None, root: Path | None = None
) -> int:
    """Print each GPU block: recorded (where, when), not recorded, or stale."""
    records = load_records(records_path)
    blocks = gpu_blocks(docs, root)
    for rel, page, block in blocks:
        record = records.get(code_hash(block.source))
        if record is not None:
            raised = f"; it raised {record['error']['type']}" if record["error"] else ""
            print(f"recorded      {rel}:{block.line}: on {describe(record)}{raised}")
            continue
        stale = stale_records(rel, page, records)
        why = (
            f" (the record from line {stale[0]['line']} is stale: the code changed)"
            if stale
            else ""
        )
        print(f"not recorded  {rel}:{block.line}{why}")
    used = {code_hash(b.source) for _, _, b in blocks}
    for key, record in sorted(records.items(), key=lambda kv: (kv[1]["page"], kv[1]["line"])):
        if key not in used:
            print(
                f"unused record {record['page']}:{record['line']} ({key[:12]}): no block has its code"
            )
    recorded = sum(code_hash(b.source) in records for *_, b in blocks)
    print(f"{len(blocks)} GPU blocks, {recorded} recorded ({records_path or gpu_records.RECORDS})")
    return 0
