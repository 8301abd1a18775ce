"""The example pipeline: drift check, stamps, atomic renders, the render CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from torchprimer import provenance, render
from torchprimer.render import RenderError, code_cells, discover, drift, read_example

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = discover()
STAMP_KEYS = {"device", "gpu", "cpu", "torch", "torchvision", "cuda", "python", "date_utc",
              "wall_s", "commit", "argv"}

HELLO = '''\
# %% [markdown]
# # Hello
#
# A tiny example for the renderer's own tests.

# %%
RENDER_ARGS = ["--n", "3"]
EXAMPLE_DATA = None
from torchprimer.examples_cli import ExampleParser, parse_args

parser = ExampleParser(prog="hello.py")
parser.add_argument("--n", type=int, default=1)
parser.add_argument("--smoke", action="store_true")
args = parse_args(parser)
print("n =", args.n)

# %%
from tqdm.auto import tqdm

total = 0
for i in tqdm(range(50), mininterval=0):
    total += i
print("total =", total)
'''


def _write_stored(script: Path, output_dir: Path) -> Path:
    """A stored render of ``script`` as the renderer writes it, without running it."""
    output_dir.mkdir(parents=True, exist_ok=True)
    notebook = render.script_notebook(script)
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell("stamp"))
    path = output_dir / f"{script.stem}.ipynb"
    nbformat.write(notebook, str(path))
    shutil.copy(script, output_dir / script.name)
    return path


# --- the drift check --------------------------------------------------------------------

@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_stored_render_matches_script(example):
    """The DRIFT check: an edited script with a stale render fails here."""
    assert drift(example.path) == []


def test_drift_check_passes_on_fresh_render_and_fails_on_changed_script(tmp_path):
    script = tmp_path / "examples" / "hello.py"
    script.parent.mkdir()
    script.write_text(HELLO)
    out = tmp_path / "docs"
    _write_stored(script, out)
    assert drift(script, out) == []
    script.write_text(HELLO.replace("total += i", "total += 2 * i"))
    problems = drift(script, out)
    assert len(problems) == 2
    assert "code cell 2 differs" in problems[0] and "hello.py: differs" in problems[1]


def test_drift_check_ignores_prose_but_not_added_cells(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text(HELLO)
    out = tmp_path / "docs"
    _write_stored(script, out)
    # a changed markdown cell changes no code cell, but the downloadable copy is stale
    script.write_text(HELLO.replace("A tiny example", "A small example"))
    assert [p for p in drift(script, out) if "code cell" in p] == []
    script.write_text(HELLO + "\n# %%\nprint('one more')\n")
    assert "3 in the script" in drift(script, out)[0]


def test_drift_check_reports_a_missing_render(tmp_path):
    script = tmp_path / "hello.py"
    script.write_text(HELLO)
    assert "not rendered" in drift(script, tmp_path / "docs")[0]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_drift_check_fails_on_a_changed_copy_of_each_example(example, tmp_path):
    # on a tmp copy of the real script and its stored render: never touch the real ones
    scripts, out = tmp_path / "examples", tmp_path / "docs"
    scripts.mkdir()
    out.mkdir()
    script = Path(shutil.copy(example.path, scripts))
    for suffix in (".ipynb", ".py"):
        shutil.copy(render.OUTPUT_DIR / f"{example.name}{suffix}", out)
    assert drift(script, out) == []
    text = script.read_text()
    last_code = text.rindex("\n# %%\n")
    script.write_text(text[:last_code] + "\n# %%\nprint('changed')\n" + text[last_code:])
    assert any("code cell" in p for p in drift(script, out))


# --- stamps on stored renders -------------------------------------------------------------

@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_stored_render_has_a_stamp(example):
    notebook = nbformat.read(str(render.OUTPUT_DIR / f"{example.name}.ipynb"), as_version=4)
    stamp = notebook.metadata["torchprimer"]["stamp"]
    assert set(stamp) == STAMP_KEYS
    markdown = [c.source for c in notebook.cells[:2] if c.cell_type == "markdown"]
    assert any(provenance.stamp_markdown(stamp, example.name) == m for m in markdown)
    assert stamp["device"].startswith("GPU: " if stamp["gpu"] else "CPU: ")
    assert re.fullmatch(r"[0-9a-f]{7,40}(\+dirty)?|unknown.*", stamp["commit"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", stamp["date_utc"])
    assert stamp["wall_s"] > 0
    # the arguments it ran with are the declared ones for where it ran
    declared = example.gpu_render_args if stamp["gpu"] else example.render_args
    assert stamp["argv"] == declared
    # every code cell ran, in order, with no error output
    counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []


# --- rendering for real (one kernel run each) ---------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    script = tmp / "hello.py"
    script.write_text(HELLO)
    out = tmp / "docs"
    stamp = render.render(script, output_dir=out, failed_dir=tmp / "failed")
    return script, out, stamp


@pytest.mark.slow
def test_render_writes_notebook_with_outputs_and_stamp(rendered):
    script, out, stamp = rendered
    notebook = nbformat.read(str(out / "hello.ipynb"), as_version=4)
    assert drift(script, out) == []
    # title first, then the stamp, then the script's cells
    assert notebook.cells[0].source.startswith("# Hello")
    assert notebook.cells[1].source == provenance.stamp_markdown(stamp, "hello")
    assert code_cells(notebook) == code_cells(render.script_notebook(script))
    outputs = ["".join(o.get("text", "") for o in c.outputs) for c in notebook.cells if c.cell_type == "code"]
    assert outputs[0] == "n = 3\n"  # RENDER_ARGS reached the kernel
    assert "total = 1225" in outputs[1]
    # tqdm's redraws are resolved to the final bar, as a terminal shows it
    bar = [line for line in outputs[1].splitlines() if "50/50" in line]
    assert len(bar) == 1 and "\r" not in outputs[1]


@pytest.mark.slow
def test_stamp_is_measured_in_the_kernel(rendered):
    _, _, stamp = rendered
    assert set(stamp) == STAMP_KEYS
    assert stamp["torch"] == torch.__version__
    assert stamp["python"] == ".".join(map(str, sys.version_info[:3]))
    assert stamp["cpu"] == provenance.cpu_model()
    assert stamp["gpu"] == (torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    assert stamp["argv"] == ["--n", "3"]
    assert stamp["commit"] == provenance.git_commit(ROOT)
    assert 0 < stamp["wall_s"] < 600


@pytest.mark.slow
def test_failed_render_leaves_stored_notebook_untouched(rendered, tmp_path):
    script, out, _ = rendered
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = tmp_path / "hello.py"
    broken.write_text(HELLO.replace('print("total =", total)', 'raise ValueError("boom in cell 2")'))
    with pytest.raises(RenderError, match="render failed.*left as it was: ValueError: boom in cell 2"):
        render.render(broken, output_dir=out, failed_dir=tmp_path / "failed")
    # same files, same bytes, no temporary file left behind
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert (tmp_path / "failed" / "hello.failed.ipynb").is_file()


@pytest.mark.slow
def test_bad_example_arguments_fail_the_render_with_one_line(rendered, tmp_path):
    script, out, _ = rendered
    before = (out / "hello.ipynb").read_bytes()
    with pytest.raises(RenderError, match=r"hello.py: error: unrecognized arguments: --bogus"):
        render.render(script, args=["--bogus"], output_dir=out, failed_dir=None)
    assert (out / "hello.ipynb").read_bytes() == before


# --- declarations, discovery, CLI -----------------------------------------------------------

def test_read_example_declarations(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text('# %%\nRENDER_ARGS = ["--epochs", "2"]\nGPU_RENDER_ARGS = ["--epochs", "20"]\n'
                      'EXAMPLE_DATA = "cifar10"\nx = 1\n')
    ex = read_example(script)
    assert (ex.name, ex.render_args, ex.gpu_render_args, ex.data) == ("demo", ["--epochs", "2"], ["--epochs", "20"], "cifar10")
    script.write_text("# %%\nx = 1\n")
    ex = read_example(script)
    assert (ex.render_args, ex.gpu_render_args, ex.data) == ([], None, None)


@pytest.mark.parametrize(("line", "message"), [
    ("RENDER_ARGS = ['--n', 3]", "RENDER_ARGS must be a list of strings"),
    ("RENDER_ARGS = make_args()", "RENDER_ARGS must be a literal"),
    ("EXAMPLE_DATA = 'mnist'", "EXAMPLE_DATA must be None or 'cifar10'"),
])
def test_read_example_rejects_bad_declarations(tmp_path, line, message):
    script = tmp_path / "demo.py"
    script.write_text(f"# %%\n{line}\n")
    with pytest.raises(ValueError, match=message):
        read_example(script)


def test_discover_skips_helpers(tmp_path):
    (tmp_path / "b.py").write_text("# %%\n")
    (tmp_path / "a.py").write_text("# %%\n")
    (tmp_path / "_common.py").write_text("# %%\n")
    assert [e.name for e in discover(tmp_path)] == ["a", "b"]


def test_every_example_is_discovered():
    names = {p.stem for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_")}
    assert {e.name for e in EXAMPLES} == names


def test_terminal_text_keeps_what_follows_the_last_carriage_return():
    assert render._terminal_text("a\r 10%\r 50%\r100%\nnext\n") == "100%\nnext\n"
    assert render._terminal_text("plain\n") == "plain\n"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torchprimer.render", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("args", "message"), [
    (["no_such_example"], "render: error: no example 'no_such_example'"),
    ([], "render: error: name the examples to render, or pass --all"),
])
def test_cli_errors_are_one_line(args, message):
    proc = _cli(*args)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and proc.stderr.startswith(message)
    assert proc.stdout == ""


def test_cli_lists_examples():
    proc = _cli("--list")
    assert proc.returncode == 0
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == [e.name for e in EXAMPLES]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error where no GPU is visible")
def test_cli_gpu_render_needs_a_gpu():
    proc = _cli("--all", "--gpu")
    assert proc.returncode == 1 and proc.stderr.strip() == "render: error: --gpu: torch sees no CUDA GPU here"


# --- provenance helpers ----------------------------------------------------------------------

def test_format_duration():
    assert [provenance.format_duration(s) for s in (4.4, 59.6, 61, 3725)] == ["4 s", "1 min 0 s", "1 min 1 s", "1 h 2 min"]


def test_git_commit_outside_git_uses_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(provenance.COMMIT_ENV, raising=False)
    assert provenance.git_commit(tmp_path).startswith("unknown")
    monkeypatch.setenv(provenance.COMMIT_ENV, "0123456789ab")
    assert provenance.git_commit(tmp_path) == "0123456789ab"


def test_git_commit_marks_uncommitted_code_dirty(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("x = 1\n")
    (tmp_path / "notes.md").write_text("notes\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c")
    clean = provenance.git_commit(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{12}", clean)
    (tmp_path / "notes.md").write_text("other people's work in progress\n")
    assert provenance.git_commit(tmp_path) == clean  # not code: not dirty
    (tmp_path / "src" / "torchprimer" / "weights").mkdir(parents=True)
    (tmp_path / "src" / "torchprimer" / "weights" / "w.pt").write_bytes(b"published by a render")
    assert provenance.git_commit(tmp_path) == clean  # a render's output: not dirty
    (tmp_path / "src" / "m.py").write_text("x = 2\n")
    assert provenance.git_commit(tmp_path) == clean + "+dirty"


def test_stamp_markdown_says_where_it_ran():
    base = {"device": "CPU: Some CPU (2 cores)", "gpu": None, "cpu": "Some CPU", "torch": "2.14.1",
            "torchvision": "0.29.1", "cuda": "13.0", "python": "3.11.7", "date_utc": "2026-01-01 00:00 UTC",
            "wall_s": 3.0, "commit": "abc", "argv": ["--smoke"]}
    cpu = provenance.stamp_markdown(base, "demo")
    assert "| CUDA | not used: no GPU (this torch is built for CUDA 13.0) |" in cpu
    assert "[demo.py](../demo.py)" in cpu and "[demo.ipynb](demo.ipynb)" in cpu
    gpu = provenance.stamp_markdown({**base, "gpu": "NVIDIA H100 80GB HBM3", "device": "GPU: NVIDIA H100 80GB HBM3"}, "demo")
    assert "| device | GPU: NVIDIA H100 80GB HBM3 (CPU: Some CPU) |" in gpu and "| CUDA | CUDA 13.0 |" in gpu
    assert json.dumps(base)  # the stamp is plain JSON (it travels from the kernel as a line)


def test_tidy_streams_joins_chunks_resolves_bars_and_keeps_figures_in_place():
    from nbformat.v4 import new_output

    outputs = [
        new_output("stream", name="stdout", text="\rbar 1/2"),
        new_output("stream", name="stderr", text="\r   \r"),        # a bar that erased itself
        new_output("stream", name="stdout", text="\r    \repoch 1\n\rbar 2/2"),
        new_output("stream", name="stdout", text="\n"),
        new_output("display_data", data={"text/plain": "<figure>"}),
        new_output("stream", name="stdout", text="after\n"),
    ]
    tidied = render._tidy_streams(outputs)
    assert [(o.output_type, o.get("text")) for o in tidied] == [
        ("stream", "epoch 1\nbar 2/2\n"), ("display_data", None), ("stream", "after\n")]
