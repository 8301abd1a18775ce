"""The nav as a reading order: the home page's learning path, and each page's "Next" link.

>>> nav = [{"Home": "index.md"}, {"Basics": ["a.md", {"B": "b.md"}, {"More": [{"C": "c.md"}]}]}]
>>> sections(nav)
[('Basics', [(None, 'a.md'), ('B', 'b.md'), ('C', 'c.md')])]
"""

from __future__ import annotations

import html
from collections.abc import Callable


def _pages(entries) -> list[tuple[str | None, str]]:
    """``(nav title or None, path)`` of every page under ``entries``, nested sections included."""
    found = []
    for entry in entries:
        title, target = next(iter(entry.items())) if isinstance(entry, dict) else (None, entry)
        if isinstance(target, list):
            found += _pages(target)
        elif isinstance(target, str) and "://" not in target:
            found.append((title, target))
    return found


def sections(nav) -> list[tuple[str, list[tuple[str | None, str]]]]:
    """The nav's top-level sections, each with its pages in order."""
    found = []
    for entry in nav or []:
        if isinstance(entry, dict):
            ((name, entries),) = entry.items()
            if isinstance(entries, list):
                found.append((name, _pages(entries)))
    return found


def learning_path(nav, title_of: Callable[[str], str], description_of: Callable[[str], str]) -> str:
    """Each section, its pages in order, each with its description (Markdown)."""
    out = []
    for name, pages in sections(nav):
        out.append(f"**{name}**\n")
        for n, (title, target) in enumerate(pages, start=1):
            description = description_of(target)
            label = title or title_of(target)
            out.append(f"{n}. [{label}]({target})" + (f": {description}" if description else ""))
        out.append("")
    return "\n".join(out)


def next_link(title: str, url: str) -> str:
    """The line at the end of a page that leads to the next page in the nav (HTML)."""
    return f'<p class="primer-next">Next: <a href="{html.escape(url)}">{html.escape(title)}</a></p>'
