"""The ``torchprimer`` wheel the page headers link to.

Built from a copy of the package's sources (so the build leaves nothing in the checkout)
and kept by the SHA-256 of those sources: ``mkdocs serve`` rebuilds, and later builds,
reuse it until the package changes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from primersite import ROOT
from primersite.check.sandbox import Sandbox

#: What the wheel is built from, under the checkout.
SOURCES = ("pyproject.toml", "README.md", "src")


def wheel_name() -> str:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return f"torchprimer-{version}-py3-none-any.whl"


def _files(root: Path) -> list[Path]:
    found = []
    for name in SOURCES:
        path = root / name
        found += sorted(path.rglob("*")) if path.is_dir() else [path]
    skip = {"__pycache__", "torchprimer.egg-info"}
    return [p for p in found if p.is_file() and not skip & set(p.relative_to(root).parts)]


def sources_digest(root: Path = ROOT) -> str:
    """The SHA-256 of every file the wheel is built from (names and contents)."""
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_wheel(root: Path = ROOT, cache: Path = Sandbox.STATE / "wheels") -> Path:
    """The wheel of the package as it is in ``root`` (built only when its sources changed)."""
    target = cache / sources_digest(root)[:16] / wheel_name()
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(prefix="primersite-wheel-") as tmp:
        source = Path(tmp) / "source"
        for path in _files(root):
            copy = source / path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, copy)
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        pip += ["--disable-pip-version-check", "-w", tmp, str(source)]
        subprocess.run(pip, check=True, capture_output=True, timeout=300)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(Path(tmp) / wheel_name(), target)
    return target
