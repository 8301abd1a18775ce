"""Collects every page under docs/ and every docstring example under src/ and tools/ as tests.

Each page runs once, in a fresh process from an empty folder, and that one run gives the
verdict on each of its blocks and on the page as a script (see primersite.check.items).
Nothing is injected into a page.

The items of one page (or of one module's docstrings) stay on one pytest-xdist worker
(:func:`pytest_xdist_make_scheduler`), so the page runs once and examples see the state
they build; all pages go to the same worker, which then starts one pre-imported parent for
them instead of one per worker (``docs`` comes first in ``testpaths`` so that this long
unit of work starts first). The site's plugin (:mod:`primersite.pytest_plugin`) closes
those parents when the session ends and checks that a green run means what it says.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from primersite.check.items import page_sybil
from sybil import Sybil
from sybil.parsers.rest import DocTestParser
from sybil.sybil import SybilCollection

ROOT = Path(__file__).resolve().parent
pytest_plugins = ["primersite.pytest_plugin"]
# what setuptools leaves when tools/ is installed without -e: copies, not the machinery
collect_ignore = ["build", "tools/build"]

pytest_collect_file = SybilCollection(
    [
        page_sybil(patterns=["*.md"], path=str(ROOT / "docs")),
        Sybil(parsers=[DocTestParser()], patterns=["*.py"], path=str(ROOT / "src")),
        Sybil(parsers=[DocTestParser()], patterns=["*.py"], path=str(ROOT / "tools")),
    ]
).pytest()


# Tests that share a costly module fixture, the process run_python forks scripts from
# (tests/conftest.py) or, with the pages, the page runner's pre-imported parent run on one
# worker, which pays for it once instead of once per worker.
SHARED_SCOPES = {
    "tests/test_checker.py": "pages",
    "tests/test_tensorboard.py": "pages",
    "tests/test_render.py": "render",
    "tests/test_examples.py": "python-fork",
    "tests/test_checkpoint.py::test_cli_one_line_per_file_and_exit_status": "python-fork",
}


def scope_of(nodeid: str) -> str:
    """The unit of work a test belongs to (see :func:`pytest_xdist_make_scheduler`): its
    page or docstring module, its entry of :data:`SHARED_SCOPES`, or the test alone."""
    path = nodeid.split("::", 1)[0]
    if path.endswith(".md"):
        return "pages"  # one worker runs every page: one pre-imported parent, not one per worker
    if "::line:" in nodeid:
        return path
    for prefix, scope in SHARED_SCOPES.items():
        if nodeid == prefix or nodeid.startswith((prefix + "::", prefix + "[")):
            return scope
    return nodeid


# optionalhook: pytest knows this hook only while pytest-xdist is loaded (not with -p no:xdist)
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With pytest-xdist: the examples of one page (or one module's docstrings) go to one
    worker, in order, since they share a namespace and one run; so do the tests of each of
    :data:`SHARED_SCOPES`; every other test goes wherever a worker is free."""
    from xdist.scheduler import LoadScopeScheduling

    class PageScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return PageScheduling(config, log)
