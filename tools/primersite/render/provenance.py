"""Where, when and with what a rendered example ran, and the seal that keeps it honest.

:func:`collect` runs *inside* the notebook kernel at the end of a render, so every field
describes the process that made the outputs: the device, the versions, the wall time,
the commit, the arguments, and the SHA-256 of every file of the checkout the example read
(the script, the ``torchprimer`` modules it imported, the data and weights it opened),
noted before the stamp imports anything of its own. :func:`stamp_markdown` turns the stamp into the cell shown under the title.

:func:`seal` is a SHA-256 over everything a reader sees on the example page (every
cell's source and outputs, the stamp included) and the stamp's metadata. The renderer
stores it in the notebook; :func:`check_render` recomputes it, so an output, a sentence
or the stamp edited after the render is caught, and it rehashes the recorded inputs, so a
render whose code or data changed since is stale.

>>> stamp = {"device": "CPU: Example CPU (2 cores)", "gpu": None, "cpu": "Example CPU",
...          "torch": "2.14.1", "torchvision": "0.29.1", "cuda": None, "python": "3.11.9",
...          "date_utc": "2026-01-02 03:04 UTC", "wall_s": 75.4, "commit": "0123abcd4567",
...          "argv": ["--smoke"], "inputs": {}}
>>> print(format_duration(stamp["wall_s"]))
1 min 15 s
>>> "| device | CPU: Example CPU (2 cores) |" in stamp_markdown(stamp, "demo")
True
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from primersite import ROOT
from primersite.git import COMMIT_ENV, changed_files, git_commit
from torchprimer.files import sha256_file
from torchprimer.machine import cpu_model, device_name

#: The parts of the checkout whose files count as a render's inputs when the run reads them.
INPUT_PREFIXES = ("src/", "examples/", "hubconf.py")


def uncommitted(root: str | os.PathLike[str] = ROOT) -> list[str]:
    """Files of the checkout that differ from its commit (renders refuse to run on them), outputs excepted.

    Where ``$TORCHPRIMER_GIT_COMMIT`` names the commit (a GPU session, prepared from a clean
    checkout), git is not asked: the copy of the tree there may carry a stale ``.git``.
    """
    if os.environ.get(COMMIT_ENV):
        return []
    # no git (a copy on a GPU machine): the recorded input hashes still bind the render
    paths = changed_files(root) or []
    return [p for p in paths if not p.startswith("docs/examples/")]


def inputs_read(read: set[str], script: Path, root: Path = ROOT) -> dict[str, str]:
    """``{path in the checkout: SHA-256}`` of the script and of the files in ``read`` (the
    modules the example imported and the files it opened) that are inputs."""
    paths = {Path(p) for p in read} | {script.resolve()}
    found = {}
    for path in paths:
        path = path.resolve()
        if path.parent.name == "__pycache__":  # a cached import: the source is the input
            path = path.parent.parent / (path.name.split(".")[0] + ".py")
        if path.is_file() and path.is_relative_to(root):
            rel = path.relative_to(root).as_posix()
            if rel.startswith(INPUT_PREFIXES):
                found[rel] = sha256_file(path)
    return dict(sorted(found.items()))


def collect(wall_s: float, argv: list[str] | None, script: str, read: set[str]) -> dict[str, Any]:
    """Everything the stamp records, measured in the calling process (the kernel); ``read``:
    the files the example read (:func:`inputs_read`)."""
    import torch
    import torchvision

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    cpu = cpu_model()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    device = device_name("cuda:0") if gpu else f"{device_name('cpu')} ({cores} cores)"
    return {
        "device": device,
        "gpu": gpu,
        "cpu": cpu,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
        "date_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "wall_s": round(float(wall_s), 2),
        "commit": git_commit(),
        "argv": list(argv or []),
        "inputs": inputs_read(read, Path(script)),
    }


def format_duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s`` or ``1 h 2 min``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def stamp_markdown(stamp: dict[str, Any], name: str) -> str:
    """The Markdown cell under an example's title: the stamp and the download links."""
    if stamp["gpu"]:
        cuda = f"CUDA {stamp['cuda']}"
    else:
        built = f" (this torch is built for CUDA {stamp['cuda']})" if stamp["cuda"] else ""
        cuda = f"not used: no GPU{built}"
    args = " ".join(stamp["argv"]) or "(none)"
    rows = [
        (
            "device",
            stamp["device"] if stamp["gpu"] is None else f"{stamp['device']} (CPU: {stamp['cpu']})",
        ),
        ("torch", stamp["torch"]),
        ("torchvision", stamp["torchvision"]),
        ("CUDA", cuda),
        ("Python", stamp["python"]),
        ("date", stamp["date_utc"]),
        ("wall time", format_duration(stamp["wall_s"])),
        ("git commit", f"`{stamp['commit']}`"),
        ("arguments", f"`{args}`"),
    ]
    table = "\n".join(f"| {key} | {value} |" for key, value in rows)
    return (
        f"**Provenance.** Every output on this page was produced by running `examples/{name}.py` top to "
        f"bottom in a fresh Jupyter kernel; nothing was edited afterwards (the page is sealed: a test fails "
        f"if any output, sentence or stamp differs from what the run wrote).\n\n"
        f"| run | |\n| --- | --- |\n{table}\n\n"
        f"Download: [{name}.py](../{name}.py) (the script) · [{name}.ipynb]({name}.ipynb) "
        "(this notebook, with its outputs)"
    )


def seal(notebook) -> str:
    """SHA-256 over every cell (type, source, outputs) and the stamp: what the page shows, in a fixed form."""
    cells = [
        {
            "type": c.cell_type,
            "source": c.source,
            "outputs": c.get("outputs", []) if c.cell_type == "code" else [],
        }
        for c in notebook.cells
    ]
    body = {"cells": cells, "stamp": notebook.metadata.get("primersite", {}).get("stamp")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def check_render(notebook_path: Path, script: Path, root: Path = ROOT) -> list[str]:
    """Why the stored render of ``script`` cannot be trusted as it stands; ``[]`` when it can."""
    import nbformat

    from primersite.render.examples import code_cells, script_notebook

    if not notebook_path.is_file():
        return [f"{notebook_path}: not rendered (run: python -m primersite.render {script.stem})"]
    notebook = nbformat.read(str(notebook_path), as_version=4)
    meta = notebook.metadata.get("primersite", {})
    problems = []
    if meta.get("seal") != seal(notebook):
        problems.append(
            f"{notebook_path}: its seal does not match: an output, a sentence or the stamp was "
            "changed after the render"
        )
    stored, current = code_cells(notebook), code_cells(script_notebook(script))
    if stored != current:
        changed = next(
            (i for i, (a, b) in enumerate(zip(stored, current)) if a != b),
            min(len(stored), len(current)),
        )
        problems.append(
            f"{notebook_path}: code cell {changed + 1} differs from {script} "
            f"({len(stored)} stored code cells, {len(current)} in the script); re-render it"
        )
    stamp = meta.get("stamp") or {}
    for rel, digest in (stamp.get("inputs") or {}).items():
        path = root / rel
        if not path.is_file() or sha256_file(path) != digest:
            problems.append(
                f"{notebook_path}: stale: {rel} changed since the render read it; re-render it"
            )
    if script.relative_to(root).as_posix() if script.is_relative_to(root) else None:
        if script.relative_to(root).as_posix() not in (stamp.get("inputs") or {}):
            problems.append(
                f"{notebook_path}: the stamp does not record the script's hash; re-render it"
            )
    return problems
