"""Execute example scripts into the notebooks the site shows, stamped and sealed.

Rendering ``examples/<name>.py`` (see :mod:`primersite.render.examples` for what a script
declares; ``python -m primersite.render`` for the command):

1. refuses to start from a checkout with uncommitted changes (``--allow-dirty`` records
   them instead, and such a render never passes the tests): the stamp's commit must be
   the code that ran;
2. reads the script into a notebook with jupytext, and runs every cell in a fresh Jupyter
   kernel of this interpreter (:mod:`primersite.render.kernel`), with the repository root as
   working directory and the example's arguments in ``$TORCHPRIMER_EXAMPLE_ARGV``;
3. around the example's cells runs one cell first (start the clock, note the files the
   run opens, silence tqdm's "IProgress not found" notice) and one last, which notes what
   the example read before it imports anything itself, then stamps the run
   (:func:`primersite.render.provenance.collect`); both are removed again, and the stamp
   they measured becomes the cell under the title;
4. seals the notebook (:func:`primersite.render.provenance.seal`) and writes
   ``docs/examples/<name>.ipynb`` to a temporary file, moved into place only when every
   cell ran: a failed render leaves the stored notebook untouched and keeps the partial
   one in ``runs/render/<name>.failed.ipynb`` for reading.

The script itself is not copied: the site serves ``examples/<name>.py`` for download.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from primersite import ROOT
from primersite.render import provenance
from primersite.render.examples import (
    EXAMPLES_DIR,
    Example,
    code_cells,
    read_example,
    script_notebook,
)
from primersite.render.kernel import ERROR_MARK, tidy
from torchprimer.examples_cli import ARGV_ENV
from torchprimer.files import atomic_write

OUTPUT_DIR = ROOT / "docs" / "examples"
FAILED_DIR = ROOT / "runs" / "render"

_START_CELL = """\
import sys as _render_sys, time as _render_time, warnings as _render_warnings
_render_t0 = _render_time.perf_counter()
_render_opened = set()
# every file the run opens: the ones inside the checkout are the render's inputs
_render_sys.addaudithook(lambda event, args: _render_opened.add(str(args[0]))
                         if event == "open" and args and isinstance(args[0], str) else None)
# tqdm.auto wants ipywidgets for a notebook bar; without them it says so once and
# prints a text bar instead, which is what the rendered page should show.
_render_warnings.filterwarnings("ignore", message="IProgress not found")"""
_STAMP_CELL = """\
_render_wall = _render_time.perf_counter() - _render_t0
# what the example read, noted before the stamp's own imports add to it
_render_read = _render_opened | {{
    m.__file__ for m in list(_render_sys.modules.values()) if getattr(m, "__file__", None)
}}
import json as _render_json, primersite.render.provenance as _render_provenance
print(_render_json.dumps(_render_provenance.collect(
    _render_wall, {argv!r}, {script!r}, _render_read)))"""


class RenderError(RuntimeError):
    """A render that did not produce a notebook; the message is one line."""


def _as_example(example: str | os.PathLike[str] | Example) -> Example:
    if isinstance(example, Example):
        return example
    candidate = Path(example)
    if candidate.suffix != ".py":
        candidate = EXAMPLES_DIR / f"{example}.py"
    return read_example(candidate)


def _kernel_env(args: list[str]) -> dict[str, str]:
    """The kernel's environment: the example's arguments, this checkout's packages, inline figures."""
    return {
        **os.environ,
        ARGV_ENV: json.dumps(list(args)),
        # the packages from this checkout, even where they are not pip-installed (a GPU machine)
        "PYTHONPATH": os.pathsep.join(
            p
            for p in (str(ROOT / "src"), str(ROOT / "tools"), os.environ.get("PYTHONPATH", ""))
            if p
        ),
        # figures inline in the notebook, whatever the caller's MPLBACKEND (pytest sets Agg)
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONUNBUFFERED": "1",
    }


def _run_cells(
    notebook,
    example: Example,
    args: list[str],
    cwd: Path,
    cell_timeout: int | None,
    failed_dir: Path | None,
    output_dir: Path,
):
    """Execute ``notebook`` in a kernel from a child process; return the executed notebook and seconds."""
    import nbformat

    env = _kernel_env(args)
    with tempfile.TemporaryDirectory(prefix="primersite-render-") as tmp:
        before, after = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(notebook, str(before))
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-W",
                "ignore::ResourceWarning",
                "-m",
                "primersite.render.kernel",
                str(before),
                str(after),
                str(cwd),
                str(cell_timeout or 0),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        executed = nbformat.read(str(after), as_version=4) if after.is_file() else notebook
    if proc.returncode != 0:
        if failed_dir is not None:
            Path(failed_dir).mkdir(parents=True, exist_ok=True)
            nbformat.write(executed, str(Path(failed_dir) / f"{example.name}.failed.ipynb"))
        raise RenderError(
            f"{example.path.name}: render failed, {output_dir / example.name}.ipynb "
            f"left as it was: {_failure_line(proc)}"
        )
    return executed, elapsed


def _failure_line(proc: subprocess.CompletedProcess) -> str:
    """The kernel's own one-line reason (marked lines), else its last line of stderr."""
    lines = [
        line[len(ERROR_MARK) :] for line in proc.stderr.splitlines() if line.startswith(ERROR_MARK)
    ]
    lines = lines or [line for line in proc.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {proc.returncode}"


def _finish(notebook, example: Example, elapsed: float, dirty: list[str]) -> dict[str, Any]:
    """Turn the executed notebook into the page: the stamp under the title, tidy outputs, the seal."""
    import nbformat

    stamp_cell = notebook.cells.pop()
    notebook.cells.pop(0)
    printed = "".join(o.get("text", "") for o in stamp_cell.outputs if o.output_type == "stream")
    stamp = json.loads(printed.strip().splitlines()[-1])
    if dirty:
        stamp["uncommitted"] = dirty
    first = notebook.cells[0] if notebook.cells else None
    at = (
        1
        if first is not None and first.cell_type == "markdown" and first.source.startswith("# ")
        else 0
    )
    cell = nbformat.v4.new_markdown_cell(provenance.stamp_markdown(stamp, example.name))
    notebook.cells.insert(at, cell)
    tidy(notebook)
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"  # stable ids: a re-render changes only what ran differently
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["primersite"] = {"stamp": stamp, "render_s": round(elapsed, 1)}
    notebook.metadata["primersite"]["seal"] = provenance.seal(notebook)
    nbformat.validate(notebook)
    return stamp


def render(
    example: str | os.PathLike[str] | Example,
    *,
    args: list[str] | None = None,
    gpu: bool = False,
    output_dir: str | os.PathLike[str] = OUTPUT_DIR,
    cwd: str | os.PathLike[str] = ROOT,
    cell_timeout: int | None = 3600,
    failed_dir: str | os.PathLike[str] | None = FAILED_DIR,
    allow_dirty: bool = False,
) -> dict[str, Any]:
    """Execute one example into ``<output_dir>/<name>.ipynb``; return its stamp.

    ``example`` is an :class:`Example`, a path to a script, or a name in ``examples/``.
    ``args`` replace the example's declared ``RENDER_ARGS`` (``GPU_RENDER_ARGS`` when
    ``gpu``). Raises :class:`RenderError` (one line) if the checkout has uncommitted
    changes (unless ``allow_dirty``) or a cell fails; then nothing in ``output_dir`` changes.
    """
    import nbformat

    example = _as_example(example)
    dirty = provenance.uncommitted()
    if dirty and not allow_dirty:
        raise RenderError(
            f"{example.path.name}: the checkout has uncommitted changes ({', '.join(dirty[:3])}"
            f"{' ...' if len(dirty) > 3 else ''}); commit them first: a stamp names the commit that ran"
        )
    if args is None:
        if gpu and example.gpu_render_args is None:
            raise RenderError(
                f"{example.path}: declares no GPU_RENDER_ARGS, so it is not a GPU example"
            )
        args = example.gpu_render_args if gpu else example.render_args
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    notebook = script_notebook(example.path.read_text())
    if not code_cells(notebook):
        raise RenderError(
            f"{example.path}: no code cells (is it in jupytext percent format, '# %%'?)"
        )
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_START_CELL))
    notebook.cells.append(
        nbformat.v4.new_code_cell(_STAMP_CELL.format(argv=list(args), script=str(example.path)))
    )
    executed, elapsed = _run_cells(
        notebook, example, args, Path(cwd), cell_timeout, failed_dir, output_dir
    )
    stamp = _finish(executed, example, elapsed, dirty)
    atomic_write(output_dir / f"{example.name}.ipynb", nbformat.writes(executed).encode() + b"\n")
    return stamp
