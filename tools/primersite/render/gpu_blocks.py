"""Recording the blocks that need a CUDA GPU: export here, run there, merge here.

    python -m primersite.render.gpu_blocks export DIR   # here: one request per GPU block of docs/
    python -m primersite.render.gpu_blocks run DIR [--out results.json] [--timeout S]
                                                   [--allow-cpu] [--limit N] [--jobs N]
                                                        # on the GPU machine: run each, stamp them
    python -m primersite.render.gpu_blocks merge results.json [--allow-cpu]   # here: the records
    python -m primersite.render.gpu_blocks status       # each GPU block: recorded, stale or not

``run`` runs each block the way a page runs here (:func:`primersite.check.runner.run_blocks`):
alone, as the only block of a script in a new empty folder, in a fresh interpreter with the
page's environment and warning flags (:mod:`primersite.check.sandbox`), several at a time,
each with a time limit. Separate processes also keep a block that breaks its CUDA context (a
device-side assert) from touching the next. Its results carry the stamp of the machine
(:func:`stamp`); without CUDA it refuses, unless ``--allow-cpu`` asks for a dry run, whose
CPU-stamped results ``merge`` refuses unless asked the same.

``run`` imports only the standard library, torch and ``torchprimer.machine`` (for the
stamp), and the parts of this package that import nothing else: the GPU machine has none
of the site's packages. The other commands read pages (:mod:`primersite.render.gpu_export`).

Exit status: 0 done, 1 refused (bad input, no GPU, a malformed file; nothing written),
2 bad arguments.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import sys
from pathlib import Path

from primersite import ROOT
from primersite.check.gpu_records import (
    EXPORT_FORMAT,
    INDEX,
    RESULTS_FORMAT,
    RecordsError,
    code_hash,
    read_json,
    write_json,
)
from primersite.check.runner import PageRun, run_blocks
from primersite.errors import one_line
from primersite.git import git_commit


def _result(entry: dict, run: PageRun) -> dict:
    """One block's run as the results file keeps it (see :mod:`primersite.check.gpu_records`)."""
    error = None
    if run.error:
        error = {k: run.error[k] for k in ("line", "type", "message", "traceback")}
    elif run.ended_early:
        error = {
            "line": None,
            "type": "EndedEarly",
            "message": run.ended_early,
            "traceback": run.stderr[-3000:],
        }
    elif run.stdout != "".join(s.output for s in run.statements):
        error = {
            "line": None,
            "type": "OutputOutsideStatements",
            "message": "the block printed on its way out, after its last statement",
            "traceback": run.stdout[-3000:],
        }
    return {
        "page": entry["page"],
        "line": entry["line"],
        "code": entry["code"],
        "statements": [
            {"index": i, "line": s.line, "output": s.output} for i, s in enumerate(run.statements)
        ],
        "error": error,
        "writes": run.writes,
        "seconds": round(run.seconds, 2),
    }


def read_index(folder: Path) -> list[dict]:
    """The exported blocks listed in ``folder``; RecordsError unless each is whole."""
    entries = read_json(folder / INDEX, EXPORT_FORMAT).get("blocks")
    if not isinstance(entries, list):
        raise RecordsError(f"{folder / INDEX}: no list of blocks")
    for entry in entries:
        ok = isinstance(entry, dict) and all(
            isinstance(entry.get(k), t)
            for k, t in {"page": str, "line": int, "hash": str, "code": str, "request": str}.items()
        )
        if not ok or code_hash(entry["code"]) != entry["hash"]:
            raise RecordsError(f"{folder / INDEX}: an entry is not a block export wrote")
        if not (folder / entry["request"]).is_file():
            raise RecordsError(f"{folder / INDEX}: {entry['request']} is missing")
    return entries


def _blocks_of(folder: Path, entry: dict) -> list[dict]:
    """The request's one block, checked against the index: it is the code the index names."""
    path = folder / entry["request"]
    try:
        request = json.loads(path.read_text(encoding="utf-8"))
        [block] = request["blocks"]
        ok = isinstance(block["line"], int) and code_hash(block["source"]) == entry["hash"]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        ok = False
    if not ok:
        raise RecordsError(f"{path}: not the request of block {entry['hash'][:12]}")
    return [block]


def _find_checkout() -> None:
    """Let this process and the blocks' import ``primersite`` and ``torchprimer`` from this
    checkout (installed where pages are checked; on a GPU machine, a copy of the tree)."""
    paths = [str(ROOT / "tools"), str(ROOT / "src")]
    current = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join([p for p in paths if p not in current] + current)
    sys.path += [p for p in paths if p not in sys.path]


def stamp() -> dict:
    """Where and with what the blocks run: measured in the recording process."""
    import torch

    from torchprimer.machine import device_name

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "device": device_name("cuda:0" if gpu else "cpu"),
        "gpu": gpu,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "date_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # the commit named by whoever carried the tree wins: a GPU machine's copy of the
        # checkout may hold a git folder that is not at the carried commit
        "commit": git_commit(),
    }


def run(
    folder: Path,
    out: Path,
    timeout: float,
    allow_cpu: bool,
    limit: int | None = None,
    jobs: int = 1,
) -> int:
    """Run every exported block in ``folder`` (the first ``limit``); write the stamped
    results to ``out``."""
    entries = read_index(folder)
    entries = [e for e in entries if e["hash"] in {x["hash"] for x in entries[:limit]}]
    requests = {e["hash"]: _blocks_of(folder, e) for e in entries}
    _find_checkout()
    where = stamp()
    if where["gpu"] is None and not allow_cpu:
        print(
            f"no CUDA GPU here ({where['device']}, torch {where['torch']}); run this on a GPU "
            "machine, or pass --allow-cpu for a dry run",
            file=sys.stderr,
        )
        return 1
    print(f"running {len(requests)} GPU blocks on {where['device']}, {jobs} at a time", flush=True)
    unique = list({e["hash"]: e for e in entries}.values())  # the same code twice: one run

    def one(entry: dict) -> tuple[dict, PageRun]:
        blocks = requests[entry["hash"]]
        stem = Path(entry["page"]).stem
        return entry, run_blocks(blocks, blocks[0]["source"], stem, timeout=timeout)

    results = {}
    # each block is its own process: several at a time share the machine, not their state
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for entry, ran in pool.map(one, unique):
            results[entry["hash"]] = result = _result(entry, ran)
            error = result["error"]
            verdict = one_line(error["type"], error["message"])[:200] if error else "ok"
            print(f"{entry['page']}:{entry['line']}: {verdict} ({ran.seconds:.1f} s)", flush=True)
    write_json(out, {"format": RESULTS_FORMAT, "stamp": where, "results": results})
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m primersite.render.gpu_blocks",
        description="Record the blocks that need a CUDA GPU: export, run (on the GPU), merge.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("export", help="write one run request per GPU block of the pages")
    p.add_argument("folder", type=Path)
    p = sub.add_parser("run", help="run the exported blocks here (a GPU machine)")
    p.add_argument("folder", type=Path)
    p.add_argument("--out", type=Path, help="the results file (default: FOLDER/results.json)")
    p.add_argument("--timeout", type=float, default=600, help="seconds per block (600)")
    p.add_argument("--allow-cpu", action="store_true", help="a dry run without a GPU")
    p.add_argument("--limit", type=int, help="run only the first N blocks (a dry run)")
    p.add_argument("--jobs", type=int, default=1, help="blocks run at the same time (1)")
    p = sub.add_parser("merge", help="add the results of a run to the records")
    p.add_argument("results", type=Path)
    p.add_argument("--allow-cpu", action="store_true", help="take results stamped with a CPU")
    sub.add_parser("status", help="say, for each GPU block, whether it has a current record")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            if args.timeout <= 0 or args.jobs < 1 or (args.limit is not None and args.limit < 1):
                parser.error("--timeout, --limit and --jobs must be positive")
            out = args.out or args.folder / "results.json"
            return run(args.folder, out, args.timeout, args.allow_cpu, args.limit, args.jobs)
        # the other commands read pages, which needs the site's packages (not on a GPU machine)
        from primersite.render import gpu_export

        if args.command == "export":
            return gpu_export.export(args.folder)
        if args.command == "merge":
            return gpu_export.merge(args.results, allow_cpu=args.allow_cpu)
        return gpu_export.status()
    except RecordsError as err:
        print(err, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
