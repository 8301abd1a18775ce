"""``--8<--`` snippet lines inside a fence, expanded the way ``pymdownx.snippets`` expands
them, so the block that runs is the block that is shown.
"""

from __future__ import annotations

import re
from pathlib import Path

SNIPPET = re.compile(
    r'^(?P<indent>[ \t]*)(?P<escape>;?)--8<--[ \t]+(?P<quote>["\'])(?P<target>[^"\']+)(?P=quote)[ \t]*$'
)


def expand_snippets(body: str, base: Path, errors: list[str], where: str) -> tuple[str, list[str]]:
    """``--8<-- "path"`` lines replaced by the file (paths from ``base``, as pymdownx.snippets reads them)."""
    out, used = [], []
    for line in body.splitlines(keepends=True):
        m = SNIPPET.match(line.rstrip("\n"))
        if m is None or m["escape"]:
            out.append(line)
            continue
        target, _, part = m["target"].partition(":")
        path = base / target
        if not path.is_file():
            errors.append(f"{where}: snippet {m['target']!r} not found under {base}")
            continue
        text = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if part and not part.replace(":", "").isdigit():  # a section between named markers
            marker = re.compile(rf"--8<-- \[(start|end):{re.escape(part)}\]")
            marks = [i for i, t in enumerate(text) if marker.search(t)]
            if len(marks) != 2:
                errors.append(f"{where}: snippet section {part!r} not found in {target}")
                continue
            text = text[marks[0] + 1 : marks[1]]
        elif part:
            first, _, last = part.partition(":")
            text = text[int(first or 1) - 1 : int(last) if last else None]
        text = [t for t in text if "--8<-- [" not in t]  # the markers of other sections
        out += [m["indent"] + t if t.strip() else t for t in text]
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        used.append(target)
    return "".join(out), used
