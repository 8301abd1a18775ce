"""Command-line plumbing shared by the example scripts in ``examples/``.

An example runs three ways: as a script (``python examples/<name>.py --smoke``), as a
notebook executed by :mod:`primersite.render`, and as a page rendered from that
notebook. A notebook kernel has no command line of its own, so
:func:`example_argv` takes the arguments from the environment variable
``TORCHPRIMER_EXAMPLE_ARGV`` (a JSON list, set by the renderer), from ``sys.argv``
when run as a script, and none when opened by hand in Jupyter (the defaults).

>>> import os
>>> os.environ[ARGV_ENV] = '["--epochs", "2"]'
>>> example_argv()
['--epochs', '2']
>>> parser = ExampleParser(prog="demo.py")
>>> _ = parser.add_argument("--epochs", type=int, default=1)
>>> parse_args(parser, install_hook=False).epochs
2
>>> del os.environ[ARGV_ENV]

Numeric arguments are checked when they are parsed, so a bad value is one line and exit
status 2 before anything runs (``--smoke`` never hides one):

>>> _ = parser.add_argument("--lr", type=positive_float, default=0.1)
>>> parser.parse_args(["--lr", "-5"])
Traceback (most recent call last):
...
SystemExit: 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

#: The renderer passes an example's arguments to the notebook kernel in this variable.
ARGV_ENV = "TORCHPRIMER_EXAMPLE_ARGV"


def in_kernel() -> bool:
    """True inside a Jupyter kernel (rendered or opened by hand), False as a plain script."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    # the same test tqdm.autonotebook uses: a terminal IPython is not a kernel
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def example_argv() -> list[str]:
    """The example's arguments: ``$TORCHPRIMER_EXAMPLE_ARGV``, else ``sys.argv[1:]`` (none in a kernel)."""
    raw = os.environ.get(ARGV_ENV)
    if raw is not None:
        try:
            argv = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ValueError(f"${ARGV_ENV}: not a JSON list of strings ({err})") from None
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise ValueError(f"${ARGV_ENV}: expected a JSON list of strings, got {raw!r}")
        return argv
    return [] if in_kernel() else sys.argv[1:]


def _number(kind, text: str, low, *, strict: bool):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if (value <= low) if strict else (value < low):
        raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} {low}, got {text}")
    return value


def positive_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 1 (epochs, steps, batch sizes, lengths).

    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be >= 1, got 0
    """
    return _number(int, text, 1, strict=False)


def int_range(low: int, high: int):
    """An argparse ``type`` for whole numbers from ``low`` to ``high`` (a window, an image side).

    >>> side = int_range(16, 1024)
    >>> side("64"), side.__name__
    (64, 'int from 16 to 1024')
    >>> side("8")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be from 16 to 1024, got 8
    """

    def checked(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {text}")
        return value

    checked.__name__ = f"int from {low} to {high}"
    return checked


def nonnegative_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 0 (a count where 0 means "none" or "all")."""
    return _number(int, text, 0, strict=False)


def positive_float(text: str) -> float:
    """An argparse ``type``: a finite number > 0 (learning rates, seconds, weights).

    >>> positive_float("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a finite number, got 'nan'
    """
    return _number(float, text, 0.0, strict=True)


def nonnegative_float(text: str) -> float:
    """An argparse ``type``: a finite number >= 0 (momentum, label smoothing, weight decay)."""
    return _number(float, text, 0.0, strict=False)


def positive_int_list(text: str) -> list[int]:
    """An argparse ``type``: comma-separated whole numbers >= 1, such as ``1,64,256``.

    >>> positive_int_list("1,64,256")
    [1, 64, 256]
    >>> positive_int_list("64,,0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected comma-separated whole numbers >= 1, got '64,,0'
    """
    try:
        values = [positive_int(part) for part in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated whole numbers >= 1, got {text!r}"
        ) from None
    return values


def positive_ints(count: int, example: str):
    """An argparse ``type``: exactly ``count`` comma-separated whole numbers >= 1, as a tuple
    (a network's widths, say); ``example`` shows the form in the error.

    >>> widths = positive_ints(3, "64,256,256")
    >>> widths("8,16,16")
    (8, 16, 16)
    >>> widths("8,16")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected 3 whole numbers >= 1 like 64,256,256, got '8,16'
    """

    def checked(text: str) -> tuple[int, ...]:
        values = positive_int_list(text)
        if len(values) != count:
            raise argparse.ArgumentTypeError(
                f"expected {count} whole numbers >= 1 like {example}, got {text!r}"
            )
        return tuple(values)

    checked.__name__ = f"{count} whole numbers"
    return checked


def exit_with_input_error(
    prog: str, err: BaseException | str, *, environ: Mapping[str, str] | None = None
) -> NoReturn:
    """Reports ``<prog>: error: <err>`` once and exits with status 2: the input needs fixing.

    As a plain script the line goes to stderr. Under torchrun every rank runs the same
    checks and would print the same line N times, so instead each writes it to the
    error file torchrun gives it (``$TORCHELASTIC_ERROR_FILE``): torchrun's failure
    report shows the first rank's message once, and
    :func:`torchprimer.checked_torchrun.run_torchrun` prints just that line.

    >>> exit_with_input_error("demo.py", "--epochs must be >= 1", environ={})
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    environ = os.environ if environ is None else environ
    line = f"{prog}: error: {err}"
    error_file = environ.get("TORCHELASTIC_ERROR_FILE")
    if error_file:
        Path(error_file).write_text(json.dumps({"message": line, "timestamp": int(time.time())}))
    else:
        print(line, file=sys.stderr, flush=True)
    raise SystemExit(2)


class ExampleParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block) and exit status 2, and
    which owns every example's ``--smoke`` flag.

    As a plain script the line goes to stderr; under torchrun every rank would print it,
    so it goes to torchrun's error file once per rank instead (:func:`exit_with_input_error`).

    ``smoke`` maps argument names to the values a ``--smoke`` run uses (the run CI makes of
    every example: seconds on the CPU); :func:`parse_args` applies them after parsing, so
    the other arguments are still checked first, and ``--help`` lists them:

    >>> parser = ExampleParser(prog="demo.py", smoke={"epochs": 1})
    >>> _ = parser.add_argument("--epochs", type=positive_int, default=20)
    >>> args = parse_args(parser, ["--smoke", "--epochs", "5"], install_hook=False)
    >>> args.epochs, args.smoke
    (1, True)
    >>> [a.help for a in parser._actions if a.dest == "smoke"]
    ['a quick check in seconds on the CPU: --epochs 1']
    """

    def __init__(self, *args, smoke: Mapping[str, object] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.smoke = dict(smoke or {})
        shown = ", ".join(
            f"--{name.replace('_', '-')} {_shown(value)}" for name, value in self.smoke.items()
        )
        self.add_argument(
            "--smoke",
            action="store_true",
            help="a quick check in seconds on the CPU" + (f": {shown}" if shown else ""),
        )

    def error(self, message: str) -> NoReturn:
        exit_with_input_error(self.prog, f"{message} (see --help)")


def _shown(value: object) -> str:
    """A smoke value as it would be typed: ``1,2`` for a list, ``on``/``off`` for a flag."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _one_line_hook(prog: str):
    default = sys.excepthook

    def hook(kind, err, tb):
        # Errors raised by torchprimer for bad input (a missing data folder, a corrupt
        # checkpoint) are the user's to fix, not a bug: one line, no traceback.
        # Anything else keeps its full traceback.
        ours = type(err).__module__.startswith("torchprimer.")
        if ours or isinstance(err, FileNotFoundError):
            print(f"{prog}: error: {err}", file=sys.stderr)
        else:
            default(kind, err, tb)

    return hook


def parse_args(
    parser: argparse.ArgumentParser, argv: list[str] | None = None, *, install_hook: bool = True
) -> argparse.Namespace:
    """Parse :func:`example_argv` (or ``argv``) with ``parser``.

    With ``--smoke``, the overrides an :class:`ExampleParser` was given replace the parsed
    values. As a script (not in a kernel) it also makes torchprimer's input errors and
    ``FileNotFoundError`` print one ``<prog>: error: ...`` line and exit with status 1
    instead of a traceback.
    """
    if install_hook and not in_kernel():
        sys.excepthook = _one_line_hook(parser.prog)
    args = parser.parse_args(example_argv() if argv is None else argv)
    smoke = getattr(parser, "smoke", {})
    unknown = [name for name in smoke if not hasattr(args, name)]
    if unknown:
        raise ValueError(f"{parser.prog}: smoke overrides {unknown} name no argument")
    if getattr(args, "smoke", False):
        for name, value in smoke.items():
            setattr(args, name, value)
    return args


def repo_root() -> Path:
    """The repository root (the folder holding ``hubconf.py``), for ``torch.hub.load(..., source="local")``.

    Looks upward from the current folder first, then beside this package's source
    checkout; raises FileNotFoundError if neither has ``hubconf.py``.
    """
    here = Path.cwd().resolve()
    for folder in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if (folder / "hubconf.py").is_file():
            return folder
    raise FileNotFoundError(
        f"{here}: no hubconf.py here or above; run from the PyTorch Primer checkout"
    )


def pick_device(smoke: bool = False) -> str:
    """``"cuda"`` when a GPU is visible and this is not a smoke run, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() and not smoke else "cpu"
