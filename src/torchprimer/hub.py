"""Listing the entry points of a local ``hubconf.py``, which ``torch.hub.list`` cannot do.

``torch.hub.load(repo_dir, name, source="local")`` loads from a folder, but
``torch.hub.list`` takes only a GitHub ``owner/repo`` (it has no ``source`` argument
in torch 2.14). :func:`list_local` applies ``torch.hub.list``'s rule to a folder:
every callable in ``hubconf.py`` whose name does not start with ``_``.

>>> from pathlib import Path
>>> import tempfile
>>> repo = Path(tempfile.mkdtemp())
>>> _ = (repo / "hubconf.py").write_text("dependencies = ['torch']\\ndef tiny(): ...\\ndef _helper(): ...\\n")
>>> list_local(repo)
['tiny']
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path


def list_local(repo_dir: str | os.PathLike[str]) -> list[str]:
    """The entry points of ``<repo_dir>/hubconf.py``, sorted, as ``torch.hub.list`` would give them."""
    import torch

    repo_dir = Path(repo_dir)
    hubconf = repo_dir / "hubconf.py"
    if not hubconf.is_file():
        raise FileNotFoundError(
            f"{hubconf}: not found; torch.hub needs a hubconf.py at the repository root"
        )
    if (
        "source" in inspect.signature(torch.hub.list).parameters
    ):  # a torch that lists local folders itself
        return sorted(torch.hub.list(str(repo_dir), source="local"))
    spec = importlib.util.spec_from_file_location("hubconf", hubconf)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(repo_dir))  # as torch.hub does while importing hubconf
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(repo_dir))
    return sorted(
        name for name in dir(module) if callable(getattr(module, name)) and not name.startswith("_")
    )
