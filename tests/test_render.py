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
from primersite.git import COMMIT_ENV, git_commit
from primersite.render import kernel, provenance, renderer
from primersite.render.examples import code_cells, discover, read_example, script_notebook
from primersite.render.provenance import check_render, seal
from primersite.render.renderer import RenderError

from torchprimer.machine import cpu_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = discover()
STAMP_KEYS = {
    "device",
    "gpu",
    "cpu",
    "torch",
    "torchvision",
    "cuda",
    "python",
    "date_utc",
    "wall_s",
    "commit",
    "argv",
    "inputs",
}

HELLO = """\
# %% [markdown]
# # Hello
#
# A tiny example for the renderer's own tests.

# %%
RENDER_ARGS = ["--n", "3"]
EXAMPLE_DATA = None
from torchprimer.examples_cli import ExampleParser, parse_args

parser = ExampleParser(prog="hello.py", smoke={"n": 2})
parser.add_argument("--n", type=int, default=1)
args = parse_args(parser)
print("n =", args.n)

# %%
from tqdm.auto import tqdm

total = 0
for i in tqdm(range(50), mininterval=0):
    total += i
print("total =", total)
"""


# --- stored renders: sealed, fresh, stamped ----------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_stored_render_is_sealed_and_fresh(example):
    assert check_render(renderer.OUTPUT_DIR / f"{example.name}.ipynb", example.path) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_stored_render_has_a_stamp(example):
    notebook = nbformat.read(str(renderer.OUTPUT_DIR / f"{example.name}.ipynb"), as_version=4)
    stamp = notebook.metadata["primersite"]["stamp"]
    assert set(stamp) == STAMP_KEYS  # no "uncommitted": a render from a dirty checkout never lands
    markdown = [c.source for c in notebook.cells[:2] if c.cell_type == "markdown"]
    assert any(provenance.stamp_markdown(stamp, example.name) == m for m in markdown)
    assert stamp["device"].startswith("GPU: " if stamp["gpu"] else "CPU: ")
    assert re.fullmatch(r"[0-9a-f]{12}", stamp["commit"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", stamp["date_utc"])
    assert 0 < stamp["wall_s"] <= notebook.metadata["primersite"]["render_s"] + 1
    # the arguments it ran with are the declared ones for where it ran
    declared = example.gpu_render_args if stamp["gpu"] else example.render_args
    assert stamp["argv"] == declared
    # every code cell ran, in order, with no error output
    counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert errors == []


def _stored_copy(example, tmp_path: Path):
    """A copy of an example's script and its stored render, under a copy of the checkout's layout."""
    root = tmp_path / "checkout"
    stamp = nbformat.read(
        str(renderer.OUTPUT_DIR / f"{example.name}.ipynb"), as_version=4
    ).metadata["primersite"]["stamp"]
    for rel in stamp["inputs"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, root / rel)
    (root / "docs").mkdir()
    notebook = Path(shutil.copy(renderer.OUTPUT_DIR / f"{example.name}.ipynb", root / "docs"))
    return root, root / "examples" / example.path.name, notebook


def test_an_edited_output_breaks_the_seal(tmp_path):
    example = next(e for e in EXAMPLES if e.name == "handwriting")
    root, script, notebook = _stored_copy(example, tmp_path)
    assert check_render(notebook, script, root) == []
    nb = nbformat.read(str(notebook), as_version=4)
    cell = next(
        c for c in nb.cells if c.cell_type == "code" and any(o.get("text") for o in c.outputs)
    )
    out = next(o for o in cell.outputs if o.get("text"))
    out.text = out.text.replace("0", "9", 1)
    nbformat.write(nb, str(notebook))
    assert any("seal does not match" in p for p in check_render(notebook, script, root))


@pytest.mark.parametrize("edit", ["prose", "stamp"])
def test_edited_prose_or_stamp_breaks_the_seal(tmp_path, edit):
    example = next(e for e in EXAMPLES if e.name == "handwriting")
    root, script, notebook = _stored_copy(example, tmp_path)
    nb = nbformat.read(str(notebook), as_version=4)
    if edit == "prose":
        cell = next(
            c for c in nb.cells if c.cell_type == "markdown" and "Provenance" not in c.source
        )
        cell.source += " Trust me."
    else:
        cell = next(c for c in nb.cells if c.cell_type == "markdown" and "Provenance" in c.source)
        cell.source = cell.source.replace("CPU: ", "GPU: ", 1)
    nbformat.write(nb, str(notebook))
    assert any("seal does not match" in p for p in check_render(notebook, script, root))


def test_a_changed_input_makes_the_render_stale(tmp_path):
    example = next(e for e in EXAMPLES if e.name == "handwriting")
    root, script, notebook = _stored_copy(example, tmp_path)
    module = next(
        r
        for r in nbformat.read(str(notebook), as_version=4).metadata["primersite"]["stamp"][
            "inputs"
        ]
        if r.startswith("src/torchprimer/") and r.endswith(".py") and not r.endswith("__init__.py")
    )
    (root / module).write_text((root / module).read_text() + "\n# changed\n")
    assert any(f"stale: {module} changed" in p for p in check_render(notebook, script, root))


def test_a_changed_code_cell_is_drift(tmp_path):
    example = next(e for e in EXAMPLES if e.name == "handwriting")
    root, script, notebook = _stored_copy(example, tmp_path)
    text = script.read_text()
    last_code = text.rindex("\n# %%\n")
    script.write_text(text[:last_code] + "\n# %%\nprint('changed')\n" + text[last_code:])
    assert any("code cell" in p for p in check_render(notebook, script, root))


def test_a_missing_render_is_reported(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text("# %%\nx = 1\n")
    assert "not rendered" in check_render(tmp_path / "demo.ipynb", script, tmp_path)[0]


# --- rendering for real (one kernel run each) ---------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    script = tmp / "hello.py"
    script.write_text(HELLO)
    out = tmp / "docs"
    stamp = renderer.render(script, output_dir=out, failed_dir=tmp / "failed", allow_dirty=True)
    return script, out, stamp


@pytest.mark.slow
def test_render_writes_notebook_with_outputs_and_stamp(rendered):
    script, out, stamp = rendered
    notebook = nbformat.read(str(out / "hello.ipynb"), as_version=4)
    assert notebook.metadata["primersite"]["seal"] == seal(notebook)
    # title first, then the stamp, then the script's cells
    assert notebook.cells[0].source.startswith("# Hello")
    assert notebook.cells[1].source == provenance.stamp_markdown(stamp, "hello")
    assert code_cells(notebook) == code_cells(script_notebook(script))
    outputs = [
        "".join(o.get("text", "") for o in c.outputs)
        for c in notebook.cells
        if c.cell_type == "code"
    ]
    assert outputs[0] == "n = 3\n"  # RENDER_ARGS reached the kernel
    assert "total = 1225" in outputs[1]
    # tqdm's redraws are resolved to the final bar, as a terminal shows it
    bar = [line for line in outputs[1].splitlines() if "50/50" in line]
    assert len(bar) == 1 and "\r" not in outputs[1]


@pytest.mark.slow
def test_stamp_is_measured_in_the_kernel(rendered):
    _, _, stamp = rendered
    assert set(stamp) - {"uncommitted"} == STAMP_KEYS  # rendered with allow_dirty=True
    assert stamp["torch"] == torch.__version__
    assert stamp["python"] == ".".join(map(str, sys.version_info[:3]))
    assert stamp["cpu"] == cpu_model()
    assert stamp["gpu"] == (torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    assert stamp["argv"] == ["--n", "3"]
    assert stamp["commit"] == git_commit(ROOT)
    # measured inside the kernel, so never more than the whole render took (rounded to 0.01 s)
    notebook = nbformat.read(str(rendered[1] / "hello.ipynb"), as_version=4)
    assert 0 <= stamp["wall_s"] <= notebook.metadata["primersite"]["render_s"] + 0.1
    assert "hello.py" in " ".join(stamp["inputs"]) or not str(rendered[0]).startswith(str(ROOT))
    assert any(k.startswith("src/torchprimer/examples_cli") for k in stamp["inputs"])
    # only what the example read: the stamp's own imports (torchprimer.machine) are not inputs
    assert "src/torchprimer/machine.py" not in stamp["inputs"]


@pytest.mark.slow
def test_failed_render_leaves_stored_notebook_untouched(rendered, tmp_path):
    script, out, _ = rendered
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = tmp_path / "hello.py"
    broken.write_text(
        HELLO.replace('print("total =", total)', 'raise ValueError("boom in cell 2")')
    )
    with pytest.raises(
        RenderError, match="render failed.*left as it was: ValueError: boom in cell 2"
    ):
        renderer.render(broken, output_dir=out, failed_dir=tmp_path / "failed", allow_dirty=True)
    # same files, same bytes, no temporary file left behind
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert (tmp_path / "failed" / "hello.failed.ipynb").is_file()


@pytest.mark.slow
def test_bad_example_arguments_fail_the_render_with_one_line(rendered, tmp_path):
    script, out, _ = rendered
    before = (out / "hello.ipynb").read_bytes()
    with pytest.raises(RenderError, match=r"hello.py: error: unrecognized arguments: --bogus"):
        renderer.render(script, args=["--bogus"], output_dir=out, failed_dir=None, allow_dirty=True)
    assert (out / "hello.ipynb").read_bytes() == before


# --- declarations, discovery, CLI -----------------------------------------------------------


def test_read_example_declarations(tmp_path):
    script = tmp_path / "demo.py"
    script.write_text(
        '# %%\nRENDER_ARGS = ["--epochs", "2"]\nGPU_RENDER_ARGS = ["--epochs", "20"]\n'
        'EXAMPLE_DATA = "cifar10"\nx = 1\n'
    )
    ex = read_example(script)
    assert (ex.name, ex.render_args, ex.gpu_render_args, ex.data) == (
        "demo",
        ["--epochs", "2"],
        ["--epochs", "20"],
        "cifar10",
    )
    script.write_text("# %%\nx = 1\n")
    ex = read_example(script)
    assert (ex.render_args, ex.gpu_render_args, ex.data) == ([], None, None)


def test_an_example_declares_its_title_and_summary(tmp_path):
    script = tmp_path / "demo.py"
    parser = 'parser = ExampleParser(prog="demo.py", description="Train a demo.")\n'
    script.write_text(f"# %% [markdown]\n# # A demo: in full\n\n# %%\n{parser}")
    ex = read_example(script)
    assert (ex.title, ex.summary) == ("A demo: in full", "Train a demo.")  # the parser's words
    script.write_text(f'# %%\nEXAMPLE_SUMMARY = "what it shows"\n{parser}')
    assert (read_example(script).title, read_example(script).summary) == ("demo", "what it shows")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("RENDER_ARGS = ['--n', 3]", "RENDER_ARGS must be a list of strings"),
        ("RENDER_ARGS = make_args()", "RENDER_ARGS must be a literal"),
        ("EXAMPLE_DATA = 'mnist'", "EXAMPLE_DATA must be None or 'cifar10'"),
        ("EXAMPLE_SUMMARY = ['a']", "EXAMPLE_SUMMARY must be one line of text"),
    ],
)
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
    assert kernel._terminal_text("a\r 10%\r 50%\r100%\nnext\n") == "100%\nnext\n"
    assert kernel._terminal_text("plain\n") == "plain\n"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "primersite.render", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_example"], "render: error: no example 'no_such_example'"),
        ([], "render: error: name the examples to render, or pass --all"),
    ],
)
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
    assert (
        proc.returncode == 1
        and proc.stderr.strip() == "render: error: --gpu: torch sees no CUDA GPU here"
    )


# --- provenance helpers ----------------------------------------------------------------------


def test_format_duration():
    assert [provenance.format_duration(s) for s in (4.4, 59.6, 61, 3725)] == [
        "4 s",
        "1 min 0 s",
        "1 min 1 s",
        "1 h 2 min",
    ]


def test_git_commit_outside_git_uses_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(COMMIT_ENV, raising=False)
    assert git_commit(tmp_path).startswith("unknown")
    monkeypatch.setenv(COMMIT_ENV, "0123456789ab")
    assert git_commit(tmp_path) == "0123456789ab"


def test_uncommitted_lists_changes_except_rendered_outputs(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c")
    assert re.fullmatch(r"[0-9a-f]{12}", git_commit(tmp_path))
    assert provenance.uncommitted(tmp_path) == []
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    (tmp_path / "docs" / "examples" / "demo.ipynb").write_text("{}")  # a render's output
    assert provenance.uncommitted(tmp_path) == []
    (tmp_path / "src" / "m.py").write_text("x = 2\n")
    assert provenance.uncommitted(tmp_path) == ["src/m.py"]


def test_render_refuses_a_dirty_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(provenance, "uncommitted", lambda root=ROOT: ["src/torchprimer/models.py"])
    script = tmp_path / "demo.py"
    script.write_text("# %%\nx = 1\n")
    with pytest.raises(
        RenderError, match="uncommitted changes .src/torchprimer/models.py.; commit them first"
    ):
        renderer.render(script, output_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "demo.ipynb").exists()


def test_stamp_markdown_says_where_it_ran():
    base = {
        "device": "CPU: Some CPU (2 cores)",
        "gpu": None,
        "cpu": "Some CPU",
        "torch": "2.14.1",
        "torchvision": "0.29.1",
        "cuda": "13.0",
        "python": "3.11.7",
        "date_utc": "2026-01-01 00:00 UTC",
        "wall_s": 3.0,
        "commit": "abc",
        "argv": ["--smoke"],
        "inputs": {},
    }
    cpu = provenance.stamp_markdown(base, "demo")
    assert "| CUDA | not used: no GPU (this torch is built for CUDA 13.0) |" in cpu
    assert "[demo.py](../demo.py)" in cpu and "[demo.ipynb](demo.ipynb)" in cpu
    gpu = provenance.stamp_markdown(
        {**base, "gpu": "NVIDIA H100 80GB HBM3", "device": "GPU: NVIDIA H100 80GB HBM3"}, "demo"
    )
    assert (
        "| device | GPU: NVIDIA H100 80GB HBM3 (CPU: Some CPU) |" in gpu
        and "| CUDA | CUDA 13.0 |" in gpu
    )
    assert json.dumps(base)  # the stamp is plain JSON (it travels from the kernel as a line)


def test_tidy_streams_joins_chunks_resolves_bars_and_keeps_figures_in_place():
    from nbformat.v4 import new_output

    outputs = [
        new_output("stream", name="stdout", text="\rbar 1/2"),
        new_output("stream", name="stderr", text="\r   \r"),  # a bar that erased itself
        new_output("stream", name="stdout", text="\r    \repoch 1\n\rbar 2/2"),
        new_output("stream", name="stdout", text="\n"),
        new_output("display_data", data={"text/plain": "<figure>"}),
        new_output("stream", name="stdout", text="after\n"),
    ]
    tidied = kernel._tidy_streams(outputs)
    assert [(o.output_type, o.get("text")) for o in tidied] == [
        ("stream", "epoch 1\nbar 2/2\n"),
        ("display_data", None),
        ("stream", "after\n"),
    ]
