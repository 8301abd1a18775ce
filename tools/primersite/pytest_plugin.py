"""The site's pytest plugin (``pytest_plugins`` in the root conftest.py): what lives as long
as a test session, and what a green run must mean.

* The pre-imported parents: the page runs' (:data:`~primersite.check.runs.RUNS`) and the
  tests' script runner (:func:`script_runner`), each started on first use in a worker and
  closed when its session ends.
* The summary (:mod:`primersite.run_summary`): at the end of the session the checkout must
  be as it was at its start, and ``artifacts/pytest-summary.json`` records how many tests
  were collected and how many reported (``make test`` checks both: a run that ends early
  is not a pass).
"""

from __future__ import annotations

import pytest

from primersite import ROOT, run_summary
from primersite.check.runs import RUNS
from primersite.check.scripts import ScriptRunner
from primersite.git import changed_files

_SCRIPTS: list[ScriptRunner] = []
_REPORTED = [0]


def script_runner(env: dict[str, str]) -> ScriptRunner:
    """The session's script runner (started with ``env`` on first use)."""
    if not _SCRIPTS:
        _SCRIPTS.append(ScriptRunner(env))
    return _SCRIPTS[0]


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        config._primer_changed_before = changed_files(ROOT)


def pytest_runtest_logreport(report):
    # one per test: its call, or the setup that kept it from running (a skip, an error)
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _REPORTED[0] += 1


def pytest_sessionfinish(session, exitstatus):
    RUNS.close()
    while _SCRIPTS:
        _SCRIPTS.pop().close()
    config = session.config
    if hasattr(config, "workerinput"):
        return
    now = changed_files(ROOT)
    changed = now != config._primer_changed_before
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nthe test run changed files of the checkout:\n" + "\n".join(now or []))
    run_summary.write(
        run_summary.SUMMARY,
        collected=session.testscollected,
        reported=_REPORTED[0],
        exitstatus=int(session.exitstatus),
        checkout_changed=changed,
    )
