"""What the page runner imports before a page runs, and the one way that could let a page lie.

Each page runs in a fresh fork of a process that has already imported torch and the other
heavy packages pages use (:data:`PRELOAD`): the imports are paid once per test worker,
and the page still starts with an empty namespace, so a name it did not import is still
a NameError. One difference remains from a fresh interpreter: a submodule the preloading
loaded is reachable as an attribute (``sklearn.datasets`` after a bare ``import sklearn``),
where a fresh interpreter raises AttributeError. :func:`undeclared_submodules` finds
every such use in a page, so the checker can refuse it.

>>> diffs = {"email": {"email"}, "email.mime": {"email.mime"}}
>>> loaded = {"email", "email.mime"}
>>> undeclared_submodules("import email\\nemail.mime.__name__", diffs, loaded)
['email.mime']
>>> undeclared_submodules("import email.mime\\nemail.mime.__name__", diffs, loaded)
[]
"""

from __future__ import annotations

import ast
import importlib
import sys

#: In a zygote and its forks: what preloading imported, per preloaded module (:func:`preload`).
PRELOADED: dict[str, set[str]] = {}

#: Imported by the runner's zygote after torch, in this order: what pages import most.
PRELOAD = (
    "numpy",
    "PIL.Image",
    "torchvision",
    "torchvision.transforms.v2",
    "matplotlib",
    "matplotlib.pyplot",
    "sklearn",
    "sklearn.datasets",
    "sklearn.model_selection",
    "sklearn.linear_model",
)


def preload() -> None:
    """Import :data:`PRELOAD`; note in :data:`PRELOADED`, for each, the modules its import
    added (a lower bound of what it loads in a fresh interpreter, since earlier ones may
    have loaded some)."""
    for name in PRELOAD:
        before = set(sys.modules)
        importlib.import_module(name)
        PRELOADED[name] = set(sys.modules) - before | {name}


def undeclared_in(source: str) -> list[str]:
    """:func:`undeclared_submodules` of ``source`` in this process, after :func:`preload`."""
    return undeclared_submodules(source, PRELOADED, set(sys.modules))


def _prefixes(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[: i + 1]) for i in range(len(parts))}


def undeclared_submodules(source: str, diffs: dict[str, set[str]], loaded: set[str]) -> list[str]:
    """Modules ``source`` reaches as attributes that only preloading put there.

    A module counts as declared when the page imports it, when one of the page's own
    imports of a preloaded module loaded it (by the ``diffs`` :func:`preload` recorded), or
    when it lies under a package the page imported that no preloading touched.
    """
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                imported |= _prefixes(a.name)
                aliases[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported |= _prefixes(node.module)
            for a in node.names:
                imported.add(f"{node.module}.{a.name}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    declared = set(imported)
    for name in imported:
        if name in diffs:
            declared |= diffs[name]  # what importing it loaded, as the zygote recorded
        elif name not in {n.split(".")[0] for n in diffs}:
            # not preloaded: the page really imported it, whatever it loaded is the page's own
            declared |= {m for m in loaded if m.startswith(name + ".")}
    preloaded = set().union(*diffs.values()) if diffs else set()
    used = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        attrs = []
        while isinstance(node, ast.Attribute):
            attrs.insert(0, node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in aliases:
            base = aliases[node.id]
            used |= {f"{base}.{'.'.join(attrs[: i + 1])}" for i in range(len(attrs))}
    return sorted(
        m
        for m in used
        if m in loaded and m in preloaded and m not in declared and not _lazy_parent(m)
    )


def _lazy_parent(name: str) -> bool:
    """True if the parent package hands out this submodule on first access, through a module
    ``__getattr__`` (as scikit-learn does): then the attribute works in a fresh interpreter too."""
    parent_name, _, child = name.rpartition(".")
    lazy = vars(sys.modules[parent_name]).get("__getattr__") if parent_name in sys.modules else None
    if lazy is None:
        return False
    try:
        lazy(child)
    except AttributeError:
        return False
    return True


def sets_environment_before_torch(source: str) -> bool:
    """True if ``source`` touches ``os.environ`` (or ``os.putenv``) before its first
    top-level import of torch: settings torch reads as it is imported, which a fork of a
    process that imported torch already would silently ignore.

    >>> sets_environment_before_torch("import os\\nos.environ['X'] = '1'\\nimport torch")
    True
    >>> sets_environment_before_torch("import torch\\nimport os\\nos.environ['X'] = '1'")
    False
    """
    for stmt in ast.parse(source).body:
        names = (
            [a.name for a in stmt.names]
            if isinstance(stmt, ast.Import)
            else [stmt.module or ""]
            if isinstance(stmt, ast.ImportFrom)
            else []
        )
        if any(n == "torch" or n.startswith("torch.") for n in names):
            return False
        for node in ast.walk(stmt):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "putenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                return True
    return False
