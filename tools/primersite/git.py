"""What git says of the checkout: its commit, and the files that differ from it.

Standard library only: the GPU machine gets a copy of the tree, often without git, and a
stamp then takes the commit from ``$TORCHPRIMER_GIT_COMMIT``.
"""

from __future__ import annotations

import os
import subprocess

from primersite import ROOT

#: Where a run without git (the GPU machine gets a copy of the tree) finds the commit.
COMMIT_ENV = "TORCHPRIMER_GIT_COMMIT"


def _git(root, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def git_commit(root: str | os.PathLike[str] = ROOT) -> str:
    """``$TORCHPRIMER_GIT_COMMIT`` where it is set, else the checkout's commit (12 hex digits).

    The variable comes first: a GPU session sets it to the commit it prepared (from a clean
    checkout), and the copy of the tree on the GPU machine may carry a stale ``.git``.
    """
    if os.environ.get(COMMIT_ENV):
        return os.environ[COMMIT_ENV]
    try:
        return _git(root, "rev-parse", "--short=12", "HEAD").strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git repository)"


def changed_files(root: str | os.PathLike[str] = ROOT) -> list[str] | None:
    """The files of the checkout that differ from its commit, untracked ones included, as
    ``git status`` names them; ``None`` where git cannot tell (no git, not a checkout)."""
    try:
        lines = _git(root, "status", "--porcelain", "--untracked-files=all").splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    return [line[3:].split(" -> ")[-1] for line in lines if line.strip()]
