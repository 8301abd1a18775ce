"""The GPU session's two steps on this machine: ``prepare`` before the run, ``bring`` after.

See :mod:`primersite.render.gpu_session` for the whole procedure; CONTRIBUTING.md ("Rendering on
a GPU") for the commands.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from primersite import ROOT
from primersite.git import changed_files, git_commit
from primersite.lock import normal, read_lock
from primersite.render.gpu_carry import (
    AIRBENCH,
    CARRY,
    VENDOR,
    WHEEL_PLATFORMS,
    WHEELS,
    read_archive,
)


class HandoffError(ValueError):
    """Something that stops prepare or bring; the message is one line."""


def download_wheels(target: Path) -> None:
    """The Jupyter wheels for the GPU machine's Python 3.12, at the locked versions."""
    versions = read_lock().pins
    pins = [f"{name}=={versions[normal(name)]}" for name in WHEELS]
    platforms = [arg for p in WHEEL_PLATFORMS for arg in ("--platform", p)]
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        + ["--python-version", "3.12", "--implementation", "cp", *platforms, "-d", str(target)]
        + pins,
        check=True,
    )


def prepare(archive: Path, airbench_repo: Path | None) -> int:
    dirty = changed_files(ROOT)
    if dirty:
        raise HandoffError(
            f"the checkout has uncommitted changes ({dirty[0]} ...); commit first: "
            "the stamps name the commit that ran"
        )
    if not archive.is_file():
        raise HandoffError(f"{archive}: CIFAR-10 archive not found (CIFAR10_ARCHIVE=...)")
    CARRY.mkdir(exist_ok=True)
    (CARRY / "commit").write_text(git_commit(ROOT) + "\n")
    if not any((CARRY / "whl").glob("*.whl")):
        download_wheels(CARRY / "whl")
    target = CARRY / archive.name
    if not target.is_file() or target.stat().st_size != archive.stat().st_size:
        shutil.copy(archive, target)
    if airbench_repo is not None:
        AIRBENCH.parent.mkdir(parents=True, exist_ok=True)
        show = ["git", "--git-dir", str(airbench_repo), "show", "HEAD:legacy/airbench94.py"]
        AIRBENCH.write_bytes(subprocess.run(show, capture_output=True, check=True).stdout)
    shutil.rmtree(CARRY / "blocks", ignore_errors=True)
    export = [sys.executable, "-m", "primersite.render.gpu_blocks", "export", str(CARRY / "blocks")]
    subprocess.run(export, cwd=ROOT, check=True)
    print(f"gpu session: ready in {CARRY.relative_to(ROOT)}/ and {VENDOR.relative_to(ROOT)}/")
    print("on the GPU machine (carry .gpu and .vendor), from the checkout's root:")
    print("  PYTHONPATH=tools python3 -m primersite.render.gpu_session run --out $OUT")
    return 0


def bring(results: Path) -> int:
    """Put a GPU session's results into the checkout; print what went where."""
    from torchprimer.checkpoint import verify
    from torchprimer.pretrained import WEIGHTS_DIR

    keep = ROOT / "runs" / "gpu-session"
    with tempfile.TemporaryDirectory() as tmp:
        got = read_archive(results, Path(tmp))
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(got, keep)
    summary = json.loads((keep / "summary.json").read_text())
    for step in summary["steps"]:
        print(f"gpu session: {step['step']}: {step['status']}")
    for notebook in sorted((keep / "notebooks").glob("*.ipynb")):
        shutil.copy(notebook, ROOT / "docs" / "examples" / notebook.name)
        print(f"gpu session: docs/examples/{notebook.name}")
    for weights in sorted((keep / "weights").glob("cifar10_*.pt")):
        verify(weights)  # a damaged checkpoint is never published
        for path in (weights, weights.with_suffix(".json")):
            shutil.copy(path, WEIGHTS_DIR / path.name)
        print(f"gpu session: {WEIGHTS_DIR.relative_to(ROOT)}/{weights.name}")
    records = keep / "gpu-blocks.json"
    if records.is_file():
        merge = [sys.executable, "-m", "primersite.render.gpu_blocks", "merge", str(records)]
        subprocess.run(merge, cwd=ROOT, check=False)
    print(f"gpu session: everything it brought is kept in {keep.relative_to(ROOT)}/")
    return 0
