"""``python -m primersite.build.serve_port PORT``: can ``make serve`` listen on PORT? One line if not.

>>> check("abc")
"PORT must be a whole number from 1 to 65535, got 'abc'"
>>> check("70000")
"PORT must be a whole number from 1 to 65535, got '70000'"
"""

from __future__ import annotations

import socket
import sys


def check(port: str) -> str | None:
    """``None`` if 127.0.0.1:``port`` is free to listen on, else why not."""
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return f"PORT must be a whole number from 1 to 65535, got {port!r}"
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", int(port)))
        except PermissionError:
            return f"port {port} needs privileges this user does not have"
        except OSError:
            return f"port {port} is already in use; free it or run: make serve PORT={int(port) + 1}"
    return None


if __name__ == "__main__":
    problem = check(sys.argv[1] if len(sys.argv) > 1 else "")
    if problem:
        print(f"make serve: {problem}", file=sys.stderr)
    sys.exit(1 if problem else 0)
