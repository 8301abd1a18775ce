"""The ``torchprimer`` wheel the pages' install notes link to, built once per site build."""

from __future__ import annotations

from pathlib import Path

from primersite import ROOT


def wheel_name() -> str:
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return f"torchprimer-{version}-py3-none-any.whl"


def build_wheel() -> Path:
    """The torchprimer wheel the pages' install notes link to, built from this checkout once per build.

    Built from a copy of the package's sources, so the build leaves nothing in the checkout.
    """
    import shutil
    import subprocess
    import sys
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="primersite-wheel-"))
    source = out / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / wheel_name()
