"""The example scripts in ``examples/`` and what each declares about how it is rendered.

Each ``examples/<name>.py`` is a jupytext "percent" script (``# %%`` code cells,
``# %% [markdown]`` prose cells). Its render settings are module-level constants, read
without running it (``ast.literal_eval``):

``RENDER_ARGS``
    arguments for ``python -m primersite.render NAME`` (a CPU run), default ``[]``.
``GPU_RENDER_ARGS``
    arguments for ``--gpu`` renders; only examples that define it are GPU examples.
``EXAMPLE_DATA``
    ``"cifar10"`` if the example needs ``--data <folder>`` (the smoke tests pass a
    fixture made by :func:`torchprimer.cifar.make_fixture`), ``None`` otherwise.
``EXAMPLE_SUMMARY``
    one line for the site's table of examples: what the example shows. Without it the
    table takes the ``description`` the script gives its ``ExampleParser``.

Its title is the first line of its first Markdown cell (``# # Title``).
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from primersite import ROOT

EXAMPLES_DIR = ROOT / "examples"
#: Constants an example may declare at module level; read with ast.literal_eval.
DECLARATIONS = {
    "RENDER_ARGS": [],
    "GPU_RENDER_ARGS": None,
    "EXAMPLE_DATA": None,
    "EXAMPLE_SUMMARY": None,
}


@dataclass(frozen=True)
class Example:
    """An example script and the defaults it declares."""

    name: str
    path: Path
    render_args: list[str] = field(default_factory=list)
    gpu_render_args: list[str] | None = None
    data: str | None = None
    title: str = ""  # the first Markdown cell's heading
    summary: str = ""  # EXAMPLE_SUMMARY, else the ExampleParser's description


def _declared(tree: ast.Module, path: Path) -> dict[str, Any]:
    """The values of the :data:`DECLARATIONS` the script makes at module level."""
    values: dict[str, Any] = dict(DECLARATIONS)
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in (t for t in targets if isinstance(t, ast.Name) and t.id in DECLARATIONS):
            try:
                values[target.id] = ast.literal_eval(node.value)
            except ValueError:
                raise ValueError(f"{path}:{node.lineno}: {target.id} must be a literal") from None
    for key in ("RENDER_ARGS", "GPU_RENDER_ARGS"):
        value = values[key]
        if value is not None and not (
            isinstance(value, list) and all(isinstance(a, str) for a in value)
        ):
            raise ValueError(f"{path}: {key} must be a list of strings, got {value!r}")
    if values["EXAMPLE_DATA"] not in (None, "cifar10"):
        raise ValueError(
            f"{path}: EXAMPLE_DATA must be None or 'cifar10', got {values['EXAMPLE_DATA']!r}"
        )
    if not isinstance(values["EXAMPLE_SUMMARY"], (str, type(None))):
        raise ValueError(f"{path}: EXAMPLE_SUMMARY must be one line of text")
    return values


def _parser_description(tree: ast.Module) -> str:
    """The ``description=`` the script gives ``ExampleParser(...)`` ('' without one)."""
    for node in ast.walk(tree):
        name = getattr(node, "func", None)
        if getattr(name, "id", getattr(name, "attr", None)) != "ExampleParser":
            continue
        for keyword in node.keywords:
            if keyword.arg == "description" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return ""


def read_example(path: str | os.PathLike[str]) -> Example:
    """The :class:`Example` at ``path``: its declarations read without running it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: example script not found")
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    values = _declared(tree, path)
    title = next((m[1].strip() for m in re.finditer(r"^# # (.+)$", text, re.M)), path.stem)
    return Example(
        path.stem,
        path,
        values["RENDER_ARGS"],
        values["GPU_RENDER_ARGS"],
        values["EXAMPLE_DATA"],
        title,
        values["EXAMPLE_SUMMARY"] or _parser_description(tree),
    )


def discover(examples_dir: str | os.PathLike[str] = EXAMPLES_DIR) -> list[Example]:
    """Every ``examples/*.py`` (names starting with ``_`` are helpers, not examples), sorted."""
    return [
        read_example(p)
        for p in sorted(Path(examples_dir).glob("*.py"))
        if not p.name.startswith("_")
    ]


def script_notebook(source: str | os.PathLike[str]):
    """The notebook jupytext reads from a percent-format script (a path, or its text)."""
    import jupytext

    if isinstance(source, str) and "\n" in source:
        return jupytext.reads(source, fmt="py:percent")
    return jupytext.read(str(source), fmt="py:percent")


def code_cells(notebook) -> list[str]:
    """The sources of a notebook's code cells, in order (what the drift check compares)."""
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]
