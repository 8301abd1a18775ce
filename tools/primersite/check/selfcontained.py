"""Which names a block uses without defining them: a block recorded on its own (a GPU block,
see :mod:`primersite.render.gpu_blocks`) runs in a fresh interpreter, where nothing an earlier
block of its page defined exists.

A name counts as defined when the block binds it anywhere at module level (assignment,
import, ``def``/``class``, ``for``/``with``/``except`` targets, ``:=``), or a function of
the block declares it ``global`` and assigns it, or it is a builtin or a global every
script has (``__file__``). Comprehension variables and parameters are local to their own
scope, so they count there. The scopes come from :mod:`symtable`, the compiler's own view.

>>> undefined_names("import torch\\nx = [i * 2 for i in range(3)]\\nprint(torch.tensor(x), y)")
[(3, 'y')]
>>> undefined_names("def f(a):\\n    return a + b\\nb = 1\\nf(2)")
[]
"""

from __future__ import annotations

import ast
import builtins
import symtable

#: globals every script has besides the builtins
SCRIPT_GLOBALS = {"__file__", "__name__", "__doc__", "__builtins__", "__spec__", "__loader__"}


def _tables(table: symtable.SymbolTable):
    yield table
    for child in table.get_children():
        yield from _tables(child)


def _module_bound(top: symtable.SymbolTable) -> set[str]:
    """Names bound in the module's namespace: at top level, or under a ``global`` statement."""
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    for table in list(_tables(top))[1:]:
        bound |= {
            s.get_name()
            for s in table.get_symbols()
            if s.is_declared_global() and (s.is_assigned() or s.is_imported())
        }
    return bound


def _global_uses(top: symtable.SymbolTable) -> set[str]:
    """Names some scope reads from the module's namespace (or from the builtins)."""
    return {
        s.get_name()
        for table in _tables(top)
        for s in table.get_symbols()
        if s.is_referenced() and s.is_global()
    }


def undefined_names(source: str) -> list[tuple[int, str]]:
    """``(line in the block, name)`` of each name ``source`` uses but never defines, at its
    first use, in order; ``[]`` when the block has ``from ... import *`` (its names are unknown)."""
    tree = ast.parse(source)
    if any(isinstance(n, ast.ImportFrom) and n.names[0].name == "*" for n in ast.walk(tree)):
        return []
    table = symtable.symtable(source, "<block>", "exec")
    missing = _global_uses(table) - _module_bound(table) - set(dir(builtins)) - SCRIPT_GLOBALS
    first: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in missing:
            first[node.id] = min(first.get(node.id, node.lineno), node.lineno)
    return sorted((line, name) for name, line in first.items())
