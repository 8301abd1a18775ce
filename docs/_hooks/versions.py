"""MkDocs hook: show on every page the versions its snippets were verified with.

The versions are read from requirements.lock, the one file that pins the environment CI
runs the snippets in; tests/test_pages.py checks they equal the installed ones.
"""

from __future__ import annotations

import re
from pathlib import Path

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"


def lock_versions(lock: Path = LOCK) -> dict[str, str]:
    """``{"torch": ..., "torchvision": ..., "python": ...}`` as pinned in the lock file."""
    text = lock.read_text(encoding="utf-8")
    found = dict(re.findall(r"^(torch|torchvision)==(\S+)$", text, re.M))
    python = re.search(r"^# Python (\d+\.\d+)\b", text, re.M)
    if python is None or set(found) != {"torch", "torchvision"}:
        raise ValueError(f"{lock}: no torch/torchvision pins or '# Python X.Y' line")
    return {**found, "python": python.group(1)}


def banner(versions: dict[str, str]) -> str:
    return (
        '!!! success "Verified"\n'
        f"    Every code block on this page ran, and printed what it shows, with "
        f"torch {versions['torch']}, torchvision {versions['torchvision']} and "
        f"Python {versions['python']} (CPU) on the last build. "
        f"[How pages are verified](/about/verified/)\n"
    )


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.startswith("examples/"):
        return markdown  # example pages carry their own provenance stamp
    link = "about/verified.md"
    depth = page.file.src_uri.count("/")
    rel = "../" * depth + link
    text = banner(lock_versions()).replace("/about/verified/", rel)
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return "\n".join(lines[: i + 1] + ["", text] + lines[i + 1 :])
    return text + "\n" + markdown
