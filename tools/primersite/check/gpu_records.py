"""The recorded runs of the blocks that need a CUDA GPU, and the code hash that ties each
record to its block.

A block after ``<!-- skip: next gpu "why" -->`` is not run where pages are checked. It is
run on a GPU machine, on its own in a fresh interpreter (:mod:`primersite.render.gpu_blocks`), and
what each of its top-level statements printed is kept in ``records/gpu-blocks.json``, keyed
by the SHA-256 of its code (``#>`` lines removed, trailing spaces and blank lines dropped):
a block keeps its record when it moves, and loses it when its code changes.

A record: ``page`` and ``line`` (where it was recorded from; informative), ``code``,
``statements`` (``{"index", "line", "output"}`` per top-level statement, ``line`` counted
from the first line of ``code``), ``error`` (``{"line", "type", "message", "traceback"}``
or null), ``writes`` (files it wrote outside its folder) and ``stamp`` (device, versions,
date, commit).

The export of the blocks (``index.json`` and one request per block) and the results of
their run are files of their own formats (:data:`EXPORT_FORMAT`, :data:`RESULTS_FORMAT`).
Standard library only: this module runs on the GPU machine.

>>> gpu_code("x = 1  \\nprint(x)\\n#> 1\\n\\n")
'x = 1\\nprint(x)\\n'
>>> code_hash("x = 1\\nprint(x)\\n#> 1\\n") == code_hash("x = 1\\nprint(x)\\n#> 2\\n")
True
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from primersite import ROOT
from primersite.check.page import OUTPUT_MARK

RECORDS_FORMAT = "primersite-gpu-records/1"
RESULTS_FORMAT = "primersite-gpu-results/1"
EXPORT_FORMAT = "primersite-gpu-export/1"
#: the exported blocks' list, in the export folder
INDEX = "index.json"
#: where the records live, keyed by code hash
RECORDS = ROOT / "records" / "gpu-blocks.json"
STAMP_KEYS = {"device": str, "torch": str, "python": str, "date_utc": str, "commit": str}


class RecordsError(ValueError):
    """A records or results file that is not what this module writes (one line)."""


def gpu_code(source: str) -> str:
    """A block's code as it is recorded: ``#>`` lines removed, trailing whitespace dropped."""
    lines = [ln.rstrip() for ln in source.splitlines() if not ln.strip().startswith(OUTPUT_MARK)]
    while lines and not lines[-1]:
        lines.pop()
    return "".join(ln + "\n" for ln in lines)


def code_hash(source: str) -> str:
    return hashlib.sha256(gpu_code(source).encode("utf-8")).hexdigest()


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise RecordsError(f"{where}: {what}")


def check_stamp(value, where: str) -> None:
    _need(isinstance(value, dict), where, "the stamp is not an object")
    for key, kind in STAMP_KEYS.items():
        _need(isinstance(value.get(key), kind), where, f"the stamp has no {key}")
    for key in ("gpu", "cuda"):
        _need(value.get(key) is None or isinstance(value[key], str), where, f"bad stamp {key}")


def check_run(key: str, run, where: str) -> None:
    """Raise RecordsError unless ``run`` is one block's recorded run whose code hashes to ``key``."""
    where = f"{where}: {key[:12]}"
    _need(isinstance(run, dict), where, "not an object")
    _need(isinstance(run.get("code"), str), where, "no code")
    _need(code_hash(run["code"]) == key, where, "its code does not hash to its key")
    _need(isinstance(run.get("page"), str) and isinstance(run.get("line"), int), where, "no page")
    statements = run.get("statements")
    _need(isinstance(statements, list), where, "no statements")
    for s in statements:
        _need(
            isinstance(s, dict)
            and isinstance(s.get("index"), int)
            and isinstance(s.get("line"), int)
            and isinstance(s.get("output"), str),
            where,
            "a statement without index, line and output",
        )
    error = run.get("error")
    _need(error is None or isinstance(error, dict), where, "error is neither null nor an object")
    if error is not None:
        for field in ("type", "message", "traceback"):
            _need(isinstance(error.get(field), str), where, f"the error has no {field}")
    writes = run.get("writes")
    _need(isinstance(writes, list) and all(isinstance(w, str) for w in writes), where, "no writes")


def read_json(path: Path, fmt: str) -> dict:
    """The JSON object in ``path`` whose ``format`` is ``fmt``; RecordsError otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise RecordsError(f"{path}: cannot be read ({err.__class__.__name__})") from None
    except json.JSONDecodeError as err:
        raise RecordsError(f"{path}: not JSON ({err.msg} at line {err.lineno})") from None
    _need(isinstance(data, dict), str(path), "not a JSON object")
    _need(data.get("format") == fmt, str(path), f"its format is not {fmt!r}")
    return data


def load_records(path: Path | None = None) -> dict[str, dict]:
    """The records by code hash (none when the file does not exist); RecordsError if malformed."""
    path = RECORDS if path is None else Path(path)
    if not path.exists():
        return {}
    records = read_json(path, RECORDS_FORMAT).get("records")
    _need(isinstance(records, dict), str(path), "no records object")
    for key, record in records.items():
        check_run(key, record, str(path))
        check_stamp(record.get("stamp"), f"{path}: {key[:12]}")
    return records


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` whole or not at all (a new file renamed over the old)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would carry over to the file it replaces
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, sort_keys=True, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_records(records: dict[str, dict], path: Path | None = None) -> None:
    write_json(RECORDS if path is None else path, {"format": RECORDS_FORMAT, "records": records})


def describe(record: dict) -> str:
    """Where and when a record was made, in a reader's words."""
    s = record["stamp"]
    cuda = f" (CUDA {s['cuda']})" if s.get("cuda") and s.get("gpu") else ""
    return (
        f"{s['device']} with torch {s['torch']}{cuda}, {s['date_utc'][:10]}, commit `{s['commit']}`"
    )
