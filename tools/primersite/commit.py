"""Which commit of the checkout a run ran: for the stamps of renders and recorded GPU runs.

Standard library only: the GPU machine gets a copy of the tree, often without git, and
the stamp then takes the commit from ``$TORCHPRIMER_GIT_COMMIT``.
"""

from __future__ import annotations

import os
import subprocess

from primersite import ROOT

#: Where a run without git (the GPU machine gets a copy of the tree) finds the commit.
COMMIT_ENV = "TORCHPRIMER_GIT_COMMIT"


def git_commit(root: str | os.PathLike[str] = ROOT) -> str:
    """``$TORCHPRIMER_GIT_COMMIT`` where it is set, else the checkout's commit (12 hex digits).

    The variable comes first: a GPU session sets it to the commit it prepared (from a clean
    checkout), and the copy of the tree on the GPU machine may carry a stale ``.git``.
    """
    if os.environ.get(COMMIT_ENV):
        return os.environ[COMMIT_ENV]
    try:
        return subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git repository)"
