"""Running a notebook in a fresh Jupyter kernel of this interpreter, and tidying what it wrote.

Used by :mod:`primersite.render.renderer` from a short-lived child process
(``python -m primersite.render.kernel SOURCE TARGET CWD TIMEOUT``), so the jupyter/zmq
machinery cannot leak sockets or event loops into the caller (a test, a long session).

The streams are tidied here rather than by nbconvert's CoalesceStreamsPreprocessor, which
joins only adjacent chunks of one stream and keeps a progress bar that erased itself, and
whose import needs a dozen packages the GPU machine's renders do not have.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from primersite.errors import one_line

KERNEL_NAME = "primersite-render"
ERROR_MARK = "primersite-render-error: "


def _kernelspec_dir(tmp: Path) -> Path:
    """A kernelspec running this interpreter, so the kernel sees the same packages as we do."""
    kernels = tmp / "kernels"
    spec = kernels / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"Python {sys.version_info.major}.{sys.version_info.minor} (primersite render)",
                "language": "python",
            }
        )
    )
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


def tidy(notebook) -> None:
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


def _one_line(err: BaseException, notebook) -> str:
    """The most useful single line of an nbclient error: the exception's name and message.

    For ``SystemExit`` (an argument error) that is the last line the cell wrote to stderr.
    """
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    if ename == "SystemExit":
        for cell in notebook.cells:
            if any(o.output_type == "error" for o in cell.get("outputs", [])):
                stderr = "".join(
                    o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"
                )
                # IPython adds its own "To exit: use 'exit'..." notice after a SystemExit
                lines = [
                    line
                    for line in stderr.splitlines()
                    if line.strip() and "To exit: use" not in line
                ]
                if lines:
                    return f"{lines[-1]} (SystemExit: {evalue})"
    if ename:
        return one_line(ename, evalue)
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__


def execute(source: str, target: str, cwd: str, cell_timeout: int) -> int:
    """Run every cell of notebook ``source`` in a fresh kernel; write ``target`` (also on failure).

    Runs in the child process :func:`primersite.render.renderer.render` starts; prints one
    error line to stderr and returns 3 if a cell fails.
    """
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    notebook = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="primersite-kernel-") as tmp:
        specs = KernelSpecManager(kernel_dirs=[str(_kernelspec_dir(Path(tmp)))])
        # ipc: the kernel talks over local sockets in tmp, not TCP ports
        manager = AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=specs,
            transport="ipc",
            connection_file=str(Path(tmp) / "kernel.json"),
        )
        client = NotebookClient(
            notebook,
            km=manager,
            kernel_name=KERNEL_NAME,
            timeout=cell_timeout or None,
            record_timing=False,
            resources={"metadata": {"path": cwd}},
        )
        try:
            client.execute()
        except Exception as err:  # CellExecutionError, DeadKernelError, CellTimeoutError ...
            nbformat.write(notebook, target)
            print(f"{ERROR_MARK}{_one_line(err, notebook)}", file=sys.stderr)
            return 3
    nbformat.write(notebook, target)
    return 0


if __name__ == "__main__":
    source, target, cwd, timeout = sys.argv[1:5]
    sys.exit(execute(source, target, cwd, int(timeout)))
