"""``python -m primersite.run_summary SUMMARY``: did the test run that wrote SUMMARY really
run everything, and leave the checkout as it found it?

pytest can end green without running what it collected: a test that ends the process
early (``os._exit(0)``) leaves exit status 0 and no verdict on the tests after it. The
pytest plugin (:mod:`primersite.pytest_plugin`) writes a summary only when the session
finishes, counting the tests it collected and the verdicts it received; this checks that
the file exists and that every collected test reported, and prints one line either way.
Exit status 1 otherwise.

>>> import json, tempfile, pathlib
>>> summary = pathlib.Path(tempfile.mkdtemp()) / "summary.json"
>>> write(summary, collected=3, reported=2, exitstatus=0, checkout_changed=False)
>>> verdict(summary)
'pytest collected 3 tests but only 2 reported a verdict: the run ended early'
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from primersite import ROOT

SUMMARY = ROOT / "artifacts" / "pytest-summary.json"


def write(path: Path, *, collected: int, reported: int, exitstatus: int, checkout_changed: bool):
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = {"collected": collected, "reported": reported, "exitstatus": exitstatus}
    path.write_text(json.dumps({**counts, "checkout_changed": checkout_changed}) + "\n")


def verdict(summary: Path) -> str | None:
    """``None`` if the run behind ``summary`` ran every test it collected and passed, else why not."""
    if not summary.is_file():
        return f"{summary} is missing: the test run ended before pytest finished its session"
    data = json.loads(summary.read_text())
    if data["reported"] < data["collected"]:
        return (
            f"pytest collected {data['collected']} tests but only {data['reported']} reported a verdict: "
            "the run ended early"
        )
    if data["checkout_changed"]:
        return "the test run changed files of the checkout (see the list above)"
    if data["exitstatus"] != 0:
        return f"pytest exited with status {data['exitstatus']}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m primersite.run_summary SUMMARY.json", file=sys.stderr)
        return 2
    problem = verdict(Path(args[0]))
    if problem:
        print(f"make test: {problem}", file=sys.stderr)
        return 1
    data = json.loads(Path(args[0]).read_text())
    print(f"make test: all {data['collected']} collected tests reported a verdict")
    return 0


if __name__ == "__main__":
    sys.exit(main())
