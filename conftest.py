"""Collects every page under docs/ and every docstring example under src/ and tools/ as tests.

Each page runs once, in a fresh process from an empty folder, and that one run gives the
verdict on each of its blocks and on the page as a script (see tools/primersite/checker.py).
Nothing is injected into a page.

Two guards make a green run mean what it says:

* the items of one page (or of one module's docstrings) stay on one pytest-xdist worker
  (:func:`pytest_xdist_make_scheduler`), so the page runs once and examples see the state
  they build; all pages go to the same worker, which then starts one pre-imported parent
  for them instead of one per worker (``docs`` comes first in ``testpaths`` so that this
  long unit of work starts first);
* at the end of the session the tracked files must be as they were at its start, and
  ``artifacts/pytest-summary.json`` records how many tests were collected and how many
  reported (``make test`` checks both: a run that ends early is not a pass).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from primersite.checker import close_runner, page_sybil
from sybil import Sybil
from sybil.parsers.rest import DocTestParser
from sybil.sybil import SybilCollection

ROOT = Path(__file__).resolve().parent
SUMMARY = ROOT / "artifacts" / "pytest-summary.json"

pytest_collect_file = SybilCollection(
    [
        page_sybil(patterns=["*.md"], path=str(ROOT / "docs")),
        Sybil(parsers=[DocTestParser()], patterns=["*.py"], path=str(ROOT / "src")),
        Sybil(parsers=[DocTestParser()], patterns=["*.py"], path=str(ROOT / "tools")),
    ]
).pytest()


def _tracked_changes() -> str:
    """``git status`` of the checkout (empty outside git): what a test run must leave as it found it."""
    try:
        return subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        config._primer_status_before = _tracked_changes()


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


_REPORTED = [0]


def pytest_runtest_logreport(report):
    # one per test: its call, or the setup that kept it from running (a skip, an error)
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _REPORTED[0] += 1


def pytest_sessionfinish(session, exitstatus):
    close_runner()
    config = session.config
    if hasattr(config, "workerinput"):
        return
    changed = _tracked_changes() != config._primer_status_before
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nthe test run changed files of the checkout:\n" + _tracked_changes())
    SUMMARY.parent.mkdir(exist_ok=True)
    SUMMARY.write_text(
        json.dumps(
            {
                "collected": session.testscollected,
                "reported": _REPORTED[0],
                "exitstatus": int(session.exitstatus),
                "checkout_changed": changed,
            }
        )
        + "\n"
    )
