"""What a fence's language says about it: whether Pygments colours it as Python, and
whether a line of a shell block is a command this site's shell blocks use.

Read by the page rules (:mod:`primersite.check.rules`): a block shown as Python must be run,
and a shell block shows commands, never output.
"""

from __future__ import annotations

import re
import shlex

#: Fence languages of shell blocks: commands to type, never run.
SHELL_LANGS = {"bash", "sh", "shell", "console", "zsh"}
#: Words a shell block may start a line with: shell blocks list commands and never show output.
SHELL_COMMANDS = {
    "python",
    "python3",
    "pip",
    "pip3",
    "uv",
    "source",
    "torchrun",
    "tensorboard",
    "git",
    "make",
    "mkdir",
    "tar",
    "export",
    "cd",
    "nvidia-smi",
    "set",
    "jupyter",
    "conda",
    "mkdocs",
    "pytest",
    "curl",
    "ls",
    "cp",
}


def python_highlighted(lang: str) -> bool:
    """True if Pygments colours ``lang`` as Python (or as a Python session or traceback)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return False
    names = {c.__name__ for c in type(lexer).__mro__}
    return bool(
        names
        & {
            "PythonLexer",
            "Python2Lexer",
            "PythonConsoleLexer",
            "PythonTracebackLexer",
            "Python2TracebackLexer",
            "CythonLexer",
            "NumPyLexer",
        }
    )


def shell_line_problem(line: str) -> str | None:
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None  # an open quote continues on the next line
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words.pop(0)  # VAR=value prefixes
    if not words or words[0] in {"&&", "||", "|"}:
        return None
    command = words[0].rsplit("/", 1)[-1]
    return (
        None
        if command in SHELL_COMMANDS
        else f"{words[0]!r} is not a command this site's shell blocks use"
    )
