"""``python -m primersite.render NAME [NAME ...] | --all [--gpu] [-- EXAMPLE ARGS]``: execute
examples into ``docs/examples/<name>.ipynb``, stamped and sealed (:mod:`primersite.render.renderer`).

Exit status: 0 rendered, 1 refused or failed (one line on stderr), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from primersite.render.examples import EXAMPLES_DIR, Example, discover
from primersite.render.renderer import FAILED_DIR, OUTPUT_DIR, RenderError, render

#: The switches: flag and what it does.
SWITCHES = {
    "--all": "every example (with --gpu: every GPU example)",
    "--gpu": "render with GPU_RENDER_ARGS; needs a CUDA GPU",
    "--list": "list the examples and their arguments",
    "--allow-dirty": "render from uncommitted changes (the stamp lists them; such renders fail the tests)",
}
#: The options with a value: flag, its type, its default and what it is.
OPTIONS = {
    "--cell-timeout": (int, 3600, "seconds per cell (default 3600)"),
    "--output-dir": (Path, OUTPUT_DIR, "where the notebooks go (default docs/examples)"),
    "--failed-dir": (
        Path,
        FAILED_DIR,
        "where a failed render's partial notebook goes (default runs/render)",
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m primersite.render",
        description="Execute examples/<name>.py into docs/examples/<name>.ipynb, stamped and sealed.",
        epilog="Arguments after -- replace the example's RENDER_ARGS (one example only).",
    )
    parser.add_argument("names", nargs="*", help="example names (files in examples/, without .py)")
    for flag, text in SWITCHES.items():
        parser.add_argument(flag, action="store_true", help=text)
    for flag, (kind, default, text) in OPTIONS.items():
        parser.add_argument(flag, type=kind, default=default, help=text)
    return parser


def _choose(opts: argparse.Namespace, examples: list[Example], example_args) -> list[Example]:
    """The examples the command line names; RenderError says why when it names none right."""
    by_name = {ex.name: ex for ex in examples}
    if opts.all == bool(opts.names):
        raise RenderError("name the examples to render, or pass --all (not both)")
    unknown = [n for n in opts.names if n not in by_name]
    if unknown:
        raise RenderError(
            f"no example {unknown[0]!r} in {EXAMPLES_DIR} (have: {', '.join(by_name) or 'none'})"
        )
    chosen = examples if opts.all else [by_name[n] for n in opts.names]
    if opts.gpu:
        import torch  # only here: listing and checking need no torch

        if not torch.cuda.is_available():
            raise RenderError("--gpu: torch sees no CUDA GPU here")
        if opts.all:
            chosen = [ex for ex in chosen if ex.gpu_render_args is not None]
    if example_args is not None and len(chosen) != 1:
        raise RenderError("arguments after -- need exactly one example")
    return chosen


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    example_args = None
    if "--" in argv:
        cut = argv.index("--")
        argv, example_args = argv[:cut], argv[cut + 1 :]
    opts = _parser().parse_args(argv)

    def fail(message: str) -> int:
        print(f"render: error: {message}", file=sys.stderr)
        return 1

    try:
        examples = discover()
    except (OSError, ValueError, SyntaxError) as err:
        return fail(str(err))
    if opts.list:
        for ex in examples:
            print(
                f"{ex.name}: RENDER_ARGS={ex.render_args} GPU_RENDER_ARGS={ex.gpu_render_args} "
                f"EXAMPLE_DATA={ex.data}"
            )
        return 0
    try:
        chosen = _choose(opts, examples, example_args)
    except RenderError as err:
        return fail(str(err))
    for ex in chosen:
        shown = (
            example_args
            if example_args is not None
            else (ex.gpu_render_args if opts.gpu else ex.render_args)
        )
        print(f"render: {ex.name} {' '.join(shown or [])}".rstrip(), flush=True)
        started = time.perf_counter()
        try:
            stamp = render(
                ex,
                args=example_args,
                gpu=opts.gpu,
                cell_timeout=opts.cell_timeout,
                allow_dirty=opts.allow_dirty,
                output_dir=opts.output_dir,
                failed_dir=opts.failed_dir,
            )
        except (RenderError, OSError, ValueError) as err:
            return fail(str(err))
        print(
            f"render: wrote {opts.output_dir / ex.name}.ipynb in {time.perf_counter() - started:.0f} s "
            f"({stamp['device']}, commit {stamp['commit']})",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
