"""Execute example scripts into the notebooks the site shows, with a provenance stamp.

``python -m torchprimer.render NAME [NAME ...] | --all [--gpu] [-- EXAMPLE ARGS]``

Each ``examples/<name>.py`` is a jupytext "percent" script (``# %%`` code cells,
``# %% [markdown]`` prose cells). Rendering it:

1. reads it into a notebook with jupytext;
2. runs every cell in a fresh Jupyter kernel of *this* interpreter (a kernelspec
   made in a temporary folder, driven by nbclient in a child process), with the
   repository root as working directory and the example's arguments in
   ``$TORCHPRIMER_EXAMPLE_ARGV``;
3. around the example's cells, runs one cell first (start the clock, silence tqdm's
   "IProgress not found" notice) and one last (:func:`torchprimer.provenance.collect`);
   both are removed again, and the stamp they measured becomes the first cell;
4. writes ``docs/examples/<name>.ipynb`` (and a copy of the script beside it, for
   download) to a temporary file and moves it into place only when every cell ran:
   a failed render leaves the stored notebook untouched and keeps the partial
   notebook in ``runs/render/<name>.failed.ipynb`` for reading.

An example's default arguments are module-level constants in the script itself,
read without running it (``ast.literal_eval``):

``RENDER_ARGS``
    arguments for ``python -m torchprimer.render NAME`` (a CPU run), default ``[]``.
``GPU_RENDER_ARGS``
    arguments for ``--gpu`` renders; only examples that define it are GPU examples.
``EXAMPLE_DATA``
    ``"cifar10"`` if the example needs ``--data <folder>`` (the smoke tests pass a
    fixture made by :func:`torchprimer.cifar.make_fixture`), ``None`` otherwise.

Arguments after ``--`` replace the defaults (one example at a time).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torchprimer.examples_cli import ARGV_ENV

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
OUTPUT_DIR = ROOT / "docs" / "examples"
FAILED_DIR = ROOT / "runs" / "render"
KERNEL_NAME = "torchprimer-render"
_ERROR_MARK = "torchprimer-render-error: "
#: Constants an example may declare at module level; read with ast.literal_eval.
DECLARATIONS = {"RENDER_ARGS": [], "GPU_RENDER_ARGS": None, "EXAMPLE_DATA": None}

_START_CELL = """\
import time as _render_time, warnings as _render_warnings
_render_t0 = _render_time.perf_counter()
# tqdm.auto wants ipywidgets for a notebook bar; without them it says so once and
# prints a text bar instead, which is what the rendered page should show.
_render_warnings.filterwarnings("ignore", message="IProgress not found")"""
_STAMP_CELL = """\
import json as _render_json, torchprimer.provenance as _render_provenance
print(_render_json.dumps(_render_provenance.collect(
    _render_time.perf_counter() - _render_t0, {argv!r})))"""


class RenderError(RuntimeError):
    """A render that did not produce a notebook; the message is one line."""


@dataclass(frozen=True)
class Example:
    """An example script and the defaults it declares."""

    name: str
    path: Path
    render_args: list[str] = field(default_factory=list)
    gpu_render_args: list[str] | None = None
    data: str | None = None


def read_example(path: str | os.PathLike[str]) -> Example:
    """The :class:`Example` at ``path``: its declarations read without running it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: example script not found")
    values: dict[str, Any] = dict(DECLARATIONS)
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in DECLARATIONS and node.value is not None:
                    try:
                        values[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        raise ValueError(f"{path}:{node.lineno}: {target.id} must be a literal") from None
    for key in ("RENDER_ARGS", "GPU_RENDER_ARGS"):
        value = values[key]
        if value is not None and not (isinstance(value, list) and all(isinstance(a, str) for a in value)):
            raise ValueError(f"{path}: {key} must be a list of strings, got {value!r}")
    if values["EXAMPLE_DATA"] not in (None, "cifar10"):
        raise ValueError(f"{path}: EXAMPLE_DATA must be None or 'cifar10', got {values['EXAMPLE_DATA']!r}")
    return Example(path.stem, path, values["RENDER_ARGS"], values["GPU_RENDER_ARGS"], values["EXAMPLE_DATA"])


def discover(examples_dir: str | os.PathLike[str] = EXAMPLES_DIR) -> list[Example]:
    """Every ``examples/*.py`` (names starting with ``_`` are helpers, not examples), sorted."""
    return [read_example(p) for p in sorted(Path(examples_dir).glob("*.py")) if not p.name.startswith("_")]


def script_notebook(path: str | os.PathLike[str]):
    """The notebook jupytext reads from a percent-format script."""
    import jupytext

    return jupytext.read(str(path), fmt="py:percent")


def jupytext_reads(text: str):
    """The notebook jupytext reads from percent-format script text."""
    import jupytext

    return jupytext.reads(text, fmt="py:percent")


def code_cells(notebook) -> list[str]:
    """The sources of a notebook's code cells, in order (what the drift check compares)."""
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def drift(script: str | os.PathLike[str], output_dir: str | os.PathLike[str] = OUTPUT_DIR) -> list[str]:
    """How the stored render of ``script`` differs from the script now; ``[]`` if it does not.

    The stored notebook's code cells must equal the script's, and the downloadable
    copy ``docs/examples/<name>.py`` must equal the script byte for byte.
    """
    import nbformat

    script = Path(script)
    notebook_path = Path(output_dir) / f"{script.stem}.ipynb"
    copy_path = Path(output_dir) / script.name
    if not notebook_path.is_file():
        return [f"{notebook_path}: not rendered (run: python -m torchprimer.render {script.stem})"]
    problems = []
    stored = code_cells(nbformat.read(str(notebook_path), as_version=4))
    current = code_cells(script_notebook(script))
    if stored != current:
        changed = next((i for i, (a, b) in enumerate(zip(stored, current)) if a != b), min(len(stored), len(current)))
        problems.append(f"{notebook_path}: code cell {changed + 1} differs from {script} "
                        f"({len(stored)} stored code cells, {len(current)} in the script); re-render it")
    if not copy_path.is_file() or copy_path.read_bytes() != script.read_bytes():
        problems.append(f"{copy_path}: differs from {script}; re-render it")
    return problems


def _kernelspec_dir(tmp: Path) -> Path:
    """A kernelspec running this interpreter, so the kernel sees the same packages as we do."""
    kernels = tmp / "kernels"
    spec = kernels / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python {sys.version_info.major}.{sys.version_info.minor} (torchprimer render)",
        "language": "python",
    }))
    return kernels


def _terminal_text(text: str) -> str:
    """Stream text as a terminal would show it: each line keeps what follows its last carriage return.

    tqdm redraws its bar with ``\\r``; the page should show the final bar, not every redraw.
    """
    lines = text.split("\n")
    return "\n".join(re.split(r"\r(?!$)", line.rstrip("\r"))[-1] for line in lines)


def _tidy_streams(outputs: list) -> list:
    """Within each run of consecutive stream outputs: join each stream's text, resolve carriage
    returns, drop what is left blank (a progress bar that erased itself). Order across stream
    names is that of their first chunk; other outputs (figures, tables) keep their places."""
    tidied, run = [], []

    def flush() -> None:
        merged: dict[str, Any] = {}
        for out in run:
            if out.name in merged:
                merged[out.name].text += out.text
            else:
                merged[out.name] = out
        for out in merged.values():
            out.text = _terminal_text(out.text)
            if out.text.strip():
                tidied.append(out)
        run.clear()

    for out in outputs:
        if out.output_type == "stream":
            run.append(out)
        else:
            flush()
            tidied.append(out)
    flush()
    return tidied


def _tidy(notebook) -> None:
    """Tidy stream outputs (see _tidy_streams) and number the code cells 1, 2, ..."""
    count = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = count
        cell.outputs = _tidy_streams(cell.outputs)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _one_line(err: BaseException, notebook) -> str:
    """The most useful single line of an nbclient error: the exception's name and message.

    For ``SystemExit`` (an argument error) that is the last line the cell wrote to stderr.
    """
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    if ename == "SystemExit":
        for cell in notebook.cells:
            if any(o.output_type == "error" for o in cell.get("outputs", [])):
                stderr = "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")
                # IPython adds its own "To exit: use 'exit'..." notice after a SystemExit
                lines = [line for line in stderr.splitlines() if line.strip() and "To exit: use" not in line]
                if lines:
                    return f"{lines[-1]} (SystemExit: {evalue})"
    if ename:
        return f"{ename}: {evalue}".splitlines()[0]
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def _execute(source: str, target: str, cwd: str, cell_timeout: int) -> int:
    """Run every cell of notebook ``source`` in a fresh kernel; write ``target`` (also on failure).

    Runs in the child process :func:`render` starts; prints one error line to stderr
    and returns 3 if a cell fails.
    """
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    notebook = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="torchprimer-kernel-") as tmp:
        specs = KernelSpecManager(kernel_dirs=[str(_kernelspec_dir(Path(tmp)))])
        # ipc: the kernel talks over local sockets in tmp, not TCP ports
        manager = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs, transport="ipc",
                                     connection_file=str(Path(tmp) / "kernel.json"))
        client = NotebookClient(
            notebook, km=manager, kernel_name=KERNEL_NAME, timeout=cell_timeout or None,
            record_timing=False, resources={"metadata": {"path": cwd}},
        )
        try:
            client.execute()
        except Exception as err:  # CellExecutionError, DeadKernelError, CellTimeoutError ...
            nbformat.write(notebook, target)
            print(f"{_ERROR_MARK}{_one_line(err, notebook)}", file=sys.stderr)
            return 3
    nbformat.write(notebook, target)
    return 0


def render(
    example: str | os.PathLike[str] | Example,
    *,
    args: list[str] | None = None,
    gpu: bool = False,
    output_dir: str | os.PathLike[str] = OUTPUT_DIR,
    cwd: str | os.PathLike[str] = ROOT,
    cell_timeout: int | None = 3600,
    failed_dir: str | os.PathLike[str] | None = FAILED_DIR,
) -> dict[str, Any]:
    """Execute one example into ``<output_dir>/<name>.ipynb``; return its stamp.

    ``example`` is an :class:`Example`, a path to a script, or a name in ``examples/``.
    ``args`` replace the example's declared ``RENDER_ARGS`` (``GPU_RENDER_ARGS`` when
    ``gpu``). Raises :class:`RenderError` (one line) if a cell fails; then nothing in
    ``output_dir`` changes.
    """
    import nbformat

    if not isinstance(example, Example):
        candidate = Path(example)
        if candidate.suffix != ".py":
            candidate = EXAMPLES_DIR / f"{example}.py"
        example = read_example(candidate)
    if args is None:
        if gpu and example.gpu_render_args is None:
            raise RenderError(f"{example.path}: declares no GPU_RENDER_ARGS, so it is not a GPU example")
        args = example.gpu_render_args if gpu else example.render_args
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)

    source = example.path.read_bytes()  # the script as rendered, even if it is edited meanwhile
    notebook = jupytext_reads(source.decode())
    if not code_cells(notebook):
        raise RenderError(f"{example.path}: no code cells (is it in jupytext percent format, '# %%'?)")
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_START_CELL))
    notebook.cells.append(nbformat.v4.new_code_cell(_STAMP_CELL.format(argv=list(args))))

    src = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        ARGV_ENV: json.dumps(list(args)),
        # the package from this checkout, even where it is not pip-installed (the GPU machine)
        "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p),
        # figures inline in the notebook, whatever the caller's MPLBACKEND (pytest sets Agg)
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONUNBUFFERED": "1",
    }
    with tempfile.TemporaryDirectory(prefix="torchprimer-render-") as tmp:
        before, after = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(notebook, str(before))
        started = time.perf_counter()
        # The kernel is driven from a short-lived child process: the jupyter/zmq machinery
        # then cannot leak sockets or event loops into the caller (a test, a long session).
        proc = subprocess.run(
            [sys.executable, "-W", "ignore::ResourceWarning", "-m", "torchprimer.render", "--_execute",
             str(before), str(after), str(cwd), str(cell_timeout or 0)],
            env=env, capture_output=True, text=True,
        )
        elapsed = time.perf_counter() - started
        executed = nbformat.read(str(after), as_version=4) if after.is_file() else notebook
        if proc.returncode != 0:
            if failed_dir is not None:
                Path(failed_dir).mkdir(parents=True, exist_ok=True)
                nbformat.write(executed, str(Path(failed_dir) / f"{example.name}.failed.ipynb"))
            lines = [line[len(_ERROR_MARK):] for line in proc.stderr.splitlines() if line.startswith(_ERROR_MARK)]
            lines = lines or [line for line in proc.stderr.splitlines() if line.strip()]
            raise RenderError(f"{example.path.name}: render failed, {output_dir / example.name}.ipynb "
                              f"left as it was: {lines[-1] if lines else f'exit status {proc.returncode}'}")
    notebook = executed

    stamp_cell = notebook.cells.pop()
    notebook.cells.pop(0)
    printed = "".join(o.get("text", "") for o in stamp_cell.outputs if o.output_type == "stream")
    stamp = json.loads(printed.strip().splitlines()[-1])
    from torchprimer.provenance import stamp_markdown

    # the stamp goes right under the title cell (the page's H1), else first
    first = notebook.cells[0] if notebook.cells else None
    at = 1 if first is not None and first.cell_type == "markdown" and first.source.startswith("# ") else 0
    notebook.cells.insert(at, nbformat.v4.new_markdown_cell(stamp_markdown(stamp, example.name)))
    _tidy(notebook)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["torchprimer"] = {"stamp": stamp, "render_s": round(elapsed, 1)}
    notebook.metadata.pop("jupytext", None)
    nbformat.validate(notebook)
    _atomic_write(output_dir / f"{example.name}.ipynb", nbformat.writes(notebook).encode() + b"\n")
    _atomic_write(output_dir / example.path.name, source)
    return stamp


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_execute"]:  # the child process of render()
        source, target, cwd, timeout = argv[1:5]
        return _execute(source, target, cwd, int(timeout))
    example_args = None
    if "--" in argv:
        cut = argv.index("--")
        argv, example_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(
        prog="python -m torchprimer.render",
        description="Execute examples/<name>.py into docs/examples/<name>.ipynb with a provenance stamp.",
        epilog="Arguments after -- replace the example's RENDER_ARGS (one example only).",
    )
    parser.add_argument("names", nargs="*", help="example names (files in examples/, without .py)")
    parser.add_argument("--all", action="store_true", help="every example (with --gpu: every GPU example)")
    parser.add_argument("--gpu", action="store_true",
                        help="render with GPU_RENDER_ARGS; needs a CUDA GPU")
    parser.add_argument("--list", action="store_true", help="list the examples and their arguments")
    parser.add_argument("--cell-timeout", type=int, default=3600, help="seconds per cell (default 3600)")
    opts = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(f"render: error: {message}", file=sys.stderr)
        return 1

    try:
        examples = discover()
    except (OSError, ValueError, SyntaxError) as err:
        return fail(str(err))
    if opts.list:
        for ex in examples:
            print(f"{ex.name}: RENDER_ARGS={ex.render_args} GPU_RENDER_ARGS={ex.gpu_render_args} "
                  f"EXAMPLE_DATA={ex.data}")
        return 0
    by_name = {ex.name: ex for ex in examples}
    if opts.all == bool(opts.names):
        return fail("name the examples to render, or pass --all (not both)")
    unknown = [n for n in opts.names if n not in by_name]
    if unknown:
        return fail(f"no example {unknown[0]!r} in {EXAMPLES_DIR} (have: {', '.join(by_name) or 'none'})")
    chosen = examples if opts.all else [by_name[n] for n in opts.names]
    if opts.gpu:
        import torch

        if not torch.cuda.is_available():
            return fail("--gpu: torch sees no CUDA GPU here")
        if opts.all:
            chosen = [ex for ex in chosen if ex.gpu_render_args is not None]
    if example_args is not None and len(chosen) != 1:
        return fail("arguments after -- need exactly one example")
    for ex in chosen:
        shown = example_args if example_args is not None else (ex.gpu_render_args if opts.gpu else ex.render_args)
        print(f"render: {ex.name} {' '.join(shown or [])}".rstrip(), flush=True)
        started = time.perf_counter()
        try:
            stamp = render(ex, args=example_args, gpu=opts.gpu, cell_timeout=opts.cell_timeout)
        except (RenderError, OSError, ValueError) as err:
            return fail(str(err))
        print(f"render: wrote docs/examples/{ex.name}.ipynb in {time.perf_counter() - started:.0f} s "
              f"({stamp['device']}, commit {stamp['commit']})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
