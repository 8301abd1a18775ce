"""An error in one line, as every command and verdict here reports one.

>>> one_line(ValueError("bad value\\nmore detail"))
'ValueError: bad value'
>>> one_line("KeyError", "")
'KeyError'
"""

from __future__ import annotations


def first_line(text: str) -> str:
    """The first line of ``text`` that is not blank ('' when there is none)."""
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def one_line(error: BaseException | str, message: str | None = None) -> str:
    """``Type: first line of the message`` of an exception, or of its type name and message."""
    if isinstance(error, BaseException):
        error, message = type(error).__name__, str(error)
    line = first_line(message or "")
    return f"{error}: {line}" if line else error
