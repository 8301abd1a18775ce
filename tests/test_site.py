"""The site builds with `mkdocs build --strict`: broken links, anchors or nav fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=ENV,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-5000:]}"
    return out


def test_strict_build_succeeds(built_site):
    assert (built_site / "index.html").exists()


def test_every_page_shows_verified_versions(built_site):
    import torch

    version = torch.__version__.split("+")[0]
    pages = [p for p in built_site.rglob("index.html") if "examples" not in p.parts]
    assert pages
    missing = [str(p) for p in pages if p.parent != built_site / "404" and f"torch {version}" not in p.read_text()]
    assert missing == []


def test_broken_link_fails_strict_build(tmp_path):
    # the validation settings must turn a broken link into a failure, not a warning
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[gone](missing.md) and [anchor](#nowhere)\n")
    (tmp_path / "mkdocs.yml").write_text(
        (ROOT / "mkdocs.yml").read_text()
        .replace("custom_dir: docs/_overrides", f"custom_dir: {ROOT / 'docs' / '_overrides'}")
        .replace("- docs/_hooks/versions.py", f"- {ROOT / 'docs' / '_hooks' / 'versions.py'}")
        .split("\nnav:")[0]
    )
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=ENV,
    )
    assert proc.returncode != 0
    assert "missing.md" in proc.stderr and "nowhere" in proc.stderr
