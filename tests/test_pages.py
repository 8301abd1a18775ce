"""Site-wide checks on the pages: nothing escapes, each page runs as a script."""

from __future__ import annotations

import difflib
import importlib.util
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from doccheck import lex, page_sybil, uncollected_fences
from pagescript import run_page_script

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if not p.relative_to(DOCS).parts[0].startswith("_"))
SCRIPT_PAGES = [p for p in PAGES if lex(p.read_text(encoding="utf-8")).python_blocks]


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


def load_versions_hook():
    spec = importlib.util.spec_from_file_location("versions_hook", DOCS / "_hooks" / "versions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_fence_is_collected(page):
    sybil = page_sybil(path=str(DOCS), patterns=["*.md"])
    assert uncollected_fences(page, sybil) == [], "python fences sybil would not run"


@pytest.mark.slow
@pytest.mark.parametrize("page", SCRIPT_PAGES, ids=page_id)
def test_page_runs_as_a_script(page):
    result = run_page_script(page)
    assert result.returncode == 0, f"{page_id(page)} fails as a script:\n{result.stderr[-3000:]}"
    diff = "\n".join(
        difflib.unified_diff(result.expected.splitlines(), result.stdout.splitlines(),
                             "page (#> lines)", "script stdout", lineterm="")
    )
    assert result.stdout == result.expected, f"{page_id(page)}: script output differs\n{diff}"


def test_site_versions_equal_installed():
    pinned = load_versions_hook().lock_versions()
    assert pinned == {
        "torch": torch.__version__.split("+")[0],
        "torchvision": torchvision.__version__.split("+")[0],
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def test_banner_names_the_versions():
    hook = load_versions_hook()
    text = hook.banner(hook.lock_versions())
    assert f"torch {torch.__version__.split('+')[0]}" in text


def test_lock_without_pins_is_an_error(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# Python 3.11\nnumpy==2.0\n")
    with pytest.raises(ValueError, match="no torch/torchvision pins"):
        load_versions_hook().lock_versions(lock)
