"""Blocks that need a CUDA GPU: the directive, the records, their checks, and the recording
commands (export here, run on a GPU machine, merge here), end to end on the CPU.

The pages written here hold GPU blocks only, so no page run (and no pre-imported parent) is
needed: only the end-to-end test starts interpreters, the recorder and the block it runs.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _pytest.outcomes import Skipped
from primersite.__main__ import main as primersite_main
from primersite.build.notes import skip_note
from primersite.check import gpu_records
from primersite.check.fill import fill
from primersite.check.gpu_records import code_hash, gpu_code, save_records
from primersite.check.items import page_sybil
from primersite.check.lex import read
from primersite.check.rules import gpu_blocks_self_contained, problems
from primersite.check.verdicts import CheckFailure
from primersite.render import gpu_blocks, gpu_export

STAMP = {
    "device": "GPU: Example GPU",
    "gpu": "Example GPU",
    "torch": "2.11.0+cu130",
    "cuda": "13.0",
    "python": "3.12.3",
    "date_utc": "2026-01-02 03:04 UTC",
    "commit": "0123456789ab",
}
CODE = 'values = [n * n for n in range(4)]\nprint(sum(values))\nprint("done")\n'
PAGE = f'# T\n\nText.\n\n<!-- skip: next gpu "needs a CUDA GPU" -->\n```python\n{CODE}```\n'
#: what a GPU machine lacks: the run there must not need any of it
ABSENT_ON_GPU = (
    "pymdownx",
    "yaml",
    "sybil",
    "pytest",
    "_pytest",
    "mkdocs",
    "nbformat",
    "jupyter_client",
)
BLOCKER = f"""
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {ABSENT_ON_GPU!r}:
            raise ImportError(name + " is not installed on the GPU machine")
sys.meta_path.insert(0, Blocker())
"""


def record(code: str, outputs: list[str], page: str = "page.md", error=None) -> tuple[str, dict]:
    """A record of ``code`` whose statements printed ``outputs``, as merge writes it."""
    code = gpu_code(code)
    starts = [s.lineno for s in ast.parse(code).body]
    statements = [
        {"index": i, "line": line, "output": out}
        for i, (line, out) in enumerate(zip(starts, outputs))
    ]
    body = {"page": page, "line": 6, "code": code, "statements": statements}
    return code_hash(code), {**body, "error": error, "writes": [], "stamp": STAMP}


@pytest.fixture
def records(tmp_path, monkeypatch):
    """An empty records file of this test's own, where the checker looks for records."""
    path = tmp_path / "records" / "gpu-blocks.json"
    monkeypatch.setattr(gpu_records, "RECORDS", path)
    return path


def evaluate(path: Path) -> None:
    """Evaluate the page's text and block items as pytest would (its pages have GPU blocks only)."""
    document = page_sybil(path=str(path.parent), patterns=[path.name]).parse(path)
    for example in document:
        if example.parsed.kind != "script":
            example.evaluate()


def write(folder: Path, text: str, name: str = "page.md") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_the_gpu_directive_marks_its_block_and_the_other_forms_still_work():
    text = (
        '<!-- skip: next gpu "needs a CUDA GPU" -->\n```python\nprint(1)\n```\n\n'
        '<!-- skip: next "needs the internet" -->\n```python\nprint(2)\n```\n\n'
        '<!-- skip: next if-missing DATA "needs data" -->\n```python\nprint(3)\n```\n'
    )
    page = read(text)
    gpu, internet, data = page.python_blocks
    assert (gpu.gpu, gpu.skip_reason, gpu.skip.env) == (True, "needs a CUDA GPU", None)
    assert (internet.gpu, internet.skip_reason) == (False, "needs the internet")
    assert (data.gpu, data.skip.env) == (False, "DATA")
    assert page.plan({"DATA": "/data"}).blocks == (data,)  # a GPU block never runs here
    for bad in ("next gpu -->", 'next gpu if-missing DATA "why"', 'next gpus "why"'):
        assert (
            "is not allowed" in problems(read(f"<!-- skip: {bad} -->\n```python\nx = 1\n```\n"))[0]
        )


def test_the_code_hash_ignores_output_lines_and_trailing_space_only():
    assert code_hash(CODE) == code_hash(CODE.replace("))\n", "))   \n#> 14\n") + "\n\n")
    assert code_hash(CODE) != code_hash(CODE.replace("range(4)", "range(5)"))


def test_a_recorded_block_passes_when_its_lines_are_the_record(tmp_path, records):
    key, rec = record(CODE, ["", "14\n", "done\n"])
    save_records({key: rec}, records)
    shown = PAGE.replace("print(sum(values))\n", "print(sum(values))\n#> 14\n")
    evaluate(write(tmp_path, shown.replace('print("done")\n', 'print("done")\n#> done\n')))
    with pytest.raises(CheckFailure, match=r"(?s)statement at line 8 differs.*-15\n\+14"):
        evaluate(write(tmp_path, shown.replace("#> 14", "#> 15")))


def test_a_gpu_block_without_a_record_shows_no_output(tmp_path, records):
    with pytest.raises(Skipped, match="needs a CUDA GPU .no recorded run"):
        evaluate(write(tmp_path, PAGE))
    shown = PAGE.replace('print("done")\n', 'print("done")\n#> done\n')
    with pytest.raises(CheckFailure, match="page.md:10: the block shows output that no recorded"):
        evaluate(write(tmp_path, shown))
    key, rec = record(CODE.replace("range(4)", "range(3)"), ["", "5\n", "done\n"])
    save_records({key: rec}, records)  # the same page's record, of code since changed
    with pytest.raises(CheckFailure, match="record from page.md:6 is stale: the block's code"):
        evaluate(write(tmp_path, shown))


def test_a_record_of_a_run_that_raised_fails_its_block(tmp_path, records):
    error = {"line": 2, "type": "RuntimeError", "message": "CUDA error", "traceback": "Trace"}
    key, rec = record(CODE, [""], error=error)
    save_records({key: rec}, records)
    with pytest.raises(
        CheckFailure, match="page.md:8: its recorded run on GPU: Example GPU raised"
    ):
        evaluate(write(tmp_path, PAGE))


def test_a_gpu_block_must_define_every_name_it_uses():
    def found(code: str) -> list[str]:
        page = read(f'# T\n\n<!-- skip: next gpu "why" -->\n```python\n{code}```\n')
        return list(gpu_blocks_self_contained(page))

    fine = """\
        import torch
        from torch import nn as neural
        rows = [[i * j for j in range(3)] for i in range(2)]
        total = {k: v for k, v in zip("ab", rows)}
        for a, (b, c) in [(1, (2, 3))]:
            pass
        with open(__file__) as handle, torch.no_grad():
            pass
        try:
            neural.Linear(1, 1)
        except ValueError as err:
            print(err, a, b, c, handle, total, len(rows))
        def helper(x, *args, scale=2, **kw):
            return x * scale + later
        class Box:
            size = 3
            def area(self):
                return self.size * helper(1)
        later = (n := 4) + n
        print(Box().area(), [m for m in range(later) if m])
    """
    assert found(textwrap.dedent(fine)) == []
    assert found("print(loader)\nx = 1\n") == [
        "line 5: a GPU block is recorded on its own in a fresh interpreter; it uses `loader`, "
        "which it does not define"
    ]
    assert "uses `model`" in found("def step():\n    return model(1)\n")[0]
    assert "uses `torch`" in found("x = [torch.ones(1) for _ in range(2)]\n")[0]
    # the same names in a block that runs with its page are the page's business
    assert list(gpu_blocks_self_contained(read("# T\n\n```python\nprint(loader)\n```\n"))) == []


def test_export_run_merge_check_end_to_end_on_the_cpu(tmp_path, records, capsys):
    docs = tmp_path / "docs"
    page = write(docs / "section", PAGE)
    folder, results = tmp_path / "export", tmp_path / "results.json"
    assert gpu_export.export(folder, docs=docs) == 0
    index = json.loads((folder / "index.json").read_text())
    [entry] = index["blocks"]
    assert (entry["page"], entry["line"], entry["hash"]) == ("section/page.md", 6, code_hash(CODE))
    # as on the GPU machine: none of the site's packages, only primersite's standard-library parts
    argv = ["run", str(folder), "--out", str(results), "--allow-cpu", "--timeout", "60"]
    command = f"from primersite.render.gpu_blocks import main\nsys.exit(main({argv!r}))"
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER + command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "section/page.md:6: ok" in done.stdout
    # a dry run's results are stamped with the CPU, and merge takes them only when told
    assert gpu_blocks.main(["merge", str(results)]) == 1
    assert "not a GPU (a dry run)" in capsys.readouterr().err and not records.exists()
    assert gpu_export.merge(results, docs=docs, allow_cpu=True) == 0
    assert "merged section/page.md:6" in capsys.readouterr().out
    [rec] = json.loads(records.read_text())["records"].values()
    assert [s["output"] for s in rec["statements"]] == ["", "14\n", "done\n"]
    assert rec["stamp"]["device"].startswith("CPU: ") and rec["stamp"]["gpu"] is None
    # the block shows no output yet; fill writes it from the record, and then it passes
    with pytest.raises(CheckFailure, match="differs from the page"):
        evaluate(page)
    text, _ = fill(page)
    assert 'print(sum(values))\n#> 14\nprint("done")\n#> done\n```' in text
    evaluate(write(docs / "section", text))
    assert gpu_export.status(docs=docs) == 0
    assert "recorded      section/page.md:6: on CPU: " in capsys.readouterr().out
    assert primersite_main(["check", str(page)]) == 0
    assert "1 skipped (1 of them checked against a recorded GPU run)" in capsys.readouterr().out


def test_merge_refuses_a_malformed_results_file_and_writes_nothing(tmp_path, records, capsys):
    key, rec = record(CODE, ["", "14\n", "done\n"])
    good = {"format": gpu_records.RESULTS_FORMAT, "stamp": STAMP, "results": {key: rec}}
    bad_hash = {**good, "results": {"0" * 64: rec}}
    no_stamp = {**good, "stamp": {"device": "GPU: X"}}
    for i, content in enumerate(
        ["{not json", json.dumps([1]), json.dumps(bad_hash), json.dumps(no_stamp)]
    ):
        path = tmp_path / f"results{i}.json"
        path.write_text(content)
        assert gpu_blocks.main(["merge", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err
    assert not records.exists()


def test_run_refuses_without_a_gpu_unless_asked(tmp_path, monkeypatch, capsys):
    docs = tmp_path / "docs"
    write(docs, PAGE)
    gpu_export.export(tmp_path / "export", docs=docs)
    capsys.readouterr()
    monkeypatch.setattr(gpu_blocks, "stamp", lambda: {**STAMP, "gpu": None, "device": "CPU: X"})
    assert gpu_blocks.main(["run", str(tmp_path / "export")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("no CUDA GPU here") and err.count("\n") == 1
    assert not (tmp_path / "export" / "results.json").exists()


def test_the_page_process_and_the_recorder_need_none_of_the_site_packages():
    modules = (
        "primersite.check.child primersite.check.runner primersite.check.zygote "
        "primersite.check.sandbox primersite.check.gpu_records primersite.git "
        "primersite.render.gpu_blocks primersite.render.gpu_session"
    )
    code = BLOCKER + (
        f"import importlib\nfor m in {modules.split()!r}:\n    importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in "
        "{'torch', 'torchprimer', 'primersite'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(ast.literal_eval(done.stdout))
    assert "torch" not in loaded  # imported by the recorder's stamp, when it runs
    assert loaded <= {
        "primersite",
        "primersite.check",
        "primersite.check.child",
        "primersite.check.fences",
        "primersite.check.gpu_records",
        "primersite.check.page",
        "primersite.check.preload",
        "primersite.check.runner",
        "primersite.check.sandbox",
        "primersite.check.zygote",
        "primersite.errors",
        "primersite.git",
        "primersite.render",
        "primersite.render.gpu_blocks",
        "primersite.render.gpu_carry",
        "primersite.render.gpu_session",
    }


def test_the_reader_sees_where_a_recorded_output_comes_from():
    key, rec = record(CODE, ["", "14\n", "done\n"])
    [directive] = read(PAGE.replace('print("done")\n', 'print("done")\n#> done\n')).directives
    assert skip_note(directive, {key: rec}) == (
        '<p class="skip-note" markdown>Output recorded on GPU: Example GPU with torch '
        "2.11.0+cu130 (CUDA 13.0), 2026-01-02, commit `0123456789ab`; this block ran on its own "
        "in a fresh interpreter. It is not run when this site is built: needs a CUDA GPU.</p>\n"
    )
    assert "Not run when this page was checked: needs a CUDA GPU." in skip_note(directive, {})
