"""The site machinery's own shape: three wings that import only downwards, no import loops,
small modules and short functions (CONTRIBUTING.md, "What goes where").

    base    primersite/{__init__,lock,git,errors,run_summary}.py: facts every wing reads
    check   the page model, the sandbox, the verdicts and rules
    render  the examples' notebooks, the weights, the GPU session      (imports check)
    build   the MkDocs side                                            (imports render, check)
    top     python -m primersite and the pytest plugin                 (imports any)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
PACKAGE = TOOLS / "primersite"
BELOW = {
    "base": {"base"},
    "check": {"base", "check"},
    "render": {"base", "check", "render"},
    "build": {"base", "check", "render", "build"},
    "top": {"base", "check", "render", "build", "top"},
}
TOP = {"primersite.__main__", "primersite.pytest_plugin"}


def module_name(path: Path) -> str:
    parts = path.relative_to(TOOLS).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def wing(module: str) -> str:
    if module in TOP:
        return "top"
    part = module.split(".")[1] if "." in module else ""
    return part if part in ("check", "render", "build") else "base"


def imports(module: str) -> set[str]:
    """The modules of the package that ``module`` imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("primersite")
        ):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("primersite")}
    return found - {module}


def test_the_wings_import_only_downwards():
    upward = [
        f"{m} ({wing(m)}) imports {i} ({wing(i)})"
        for m in MODULES
        for i in sorted(imports(m))
        if wing(i) not in BELOW[wing(m)]
    ]
    assert upward == []


def test_no_module_of_the_machinery_imports_itself_round_a_loop():
    graph = {m: imports(m) & set(MODULES) for m in MODULES}
    loops = []

    def visit(module: str, path: list[str]) -> None:
        for nxt in sorted(graph[module]):
            if nxt in path:
                loops.append(" -> ".join(path[path.index(nxt) :] + [nxt]))
            elif len(path) < len(graph):
                visit(nxt, path + [nxt])

    for start in graph:
        visit(start, [start])
    assert loops == []


def code_lines(source: str, node: ast.AST) -> int:
    """Lines of ``node`` that hold code: no blank lines, comments or docstring."""
    body = getattr(node, "body", [])
    doc = set()
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        doc = set(range(body[0].lineno, body[0].end_lineno + 1))
    lines = source.splitlines()[node.lineno - 1 : node.end_lineno]
    return sum(
        1
        for n, line in enumerate(lines, start=node.lineno)
        if line.strip() and not line.strip().startswith("#") and n not in doc
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_are_small_and_functions_short(module):
    source = MODULES[module].read_text()
    assert len(source.splitlines()) <= 300
    functions = [
        n
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    assert [
        f"{f.name}: {code_lines(source, f)}" for f in functions if code_lines(source, f) > 60
    ] == []
