"""The one reader of ``requirements.lock``: every pinned version, and the Python the site
is verified with (its ``# Python X.Y`` line).

>>> lock = parse_lock("# Python 3.11: resolved on\\ntorch==2.14.1\\ntorchvision==0.29.1\\nPyYAML==6.0\\n")
>>> lock.python, lock.pins["pyyaml"]
('3.11', '6.0')
>>> site_versions(lock)
{'torch': '2.14.1', 'torchvision': '0.29.1', 'python': '3.11'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from primersite import ROOT

LOCK = ROOT / "requirements.lock"


@dataclass(frozen=True)
class Lock:
    python: str | None  # "3.11", from the "# Python X.Y" line
    pins: dict[str, str]  # normalised package name -> exact version


def normal(name: str) -> str:
    """A package name as pip compares them: lower case, ``-`` for ``_`` and ``.``."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def parse_lock(text: str) -> Lock:
    python = re.search(r"^# Python (\d+\.\d+)\b", text, re.M)
    pins = {}
    for line in text.splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith("#"):
            pins[normal(name)] = version.strip()
    return Lock(python.group(1) if python else None, pins)


def read_lock(path: Path = LOCK) -> Lock:
    return parse_lock(Path(path).read_text(encoding="utf-8"))


def site_versions(lock: Lock) -> dict[str, str]:
    """``{"torch", "torchvision", "python"}`` the site is verified with; ValueError without them."""
    found = {k: lock.pins[k] for k in ("torch", "torchvision") if k in lock.pins}
    if lock.python is None or len(found) != 2:
        raise ValueError("requirements.lock: no torch/torchvision pins or '# Python X.Y' line")
    return {**found, "python": lock.python}
