"""``python -m primersite``: an author's loop on pages, and the counts behind the header.

    python -m primersite check docs/tensors/first-steps.md   # every verdict, one run
    python -m primersite fill docs/tensors/first-steps.md    # rewrite #> lines (and figures) from a run
                                                             # (a GPU block's from its recorded run)
    python -m primersite report                              # pages, blocks run and skipped, and why

Exit status: 0 all good, 1 a check failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from primersite import DOCS, ROOT


def _shown(path: Path) -> str:
    """``path`` relative to the checkout when it is inside it (pages may live elsewhere)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _pages(paths: list[Path], parser: argparse.ArgumentParser) -> list[Path]:
    for path in paths:
        if not path.is_file() or path.suffix != ".md":
            parser.error(f"not a page: {path}")
    return [p.resolve() for p in paths]


def _verdicts(path: Path, page, plan, run, records) -> tuple[list[str], int]:
    """Every verdict on the page that failed, one line each, and how many GPU blocks were
    checked against a recorded run."""
    from primersite.check.gpu_check import gpu_verdict
    from primersite.check.rules import problems
    from primersite.check.verdicts import CheckFailure, check_block, check_script

    failed = [f"- {p}" for p in problems(page)]
    checks = [(f"block at line {b.line}", check_block, (path, b, plan, run)) for b in plan.blocks]
    checks.append(("", check_script, (path, plan, run)))
    recorded = 0
    for name, check, args in checks:
        try:
            check(*args)
        except CheckFailure as err:
            failed.append(f"- {name + ': ' if name else ''}{err}")
    for block in (b for b in page.python_blocks if b.gpu):
        try:
            recorded += gpu_verdict(path, page, block, records) is None
        except CheckFailure as err:
            failed.append(f"- GPU block at line {block.line}: {err}")
    return failed, recorded


def check(paths: list[Path]) -> int:
    from primersite.check.gpu_records import load_records
    from primersite.check.lex import read_page
    from primersite.check.runs import PageRuns

    runs, records, failed = PageRuns(fork=False), load_records(), 0
    for path in paths:
        page = read_page(path, ROOT)
        plan = page.plan(os.environ)
        run = runs.run(path, page, plan)
        verdicts, recorded = _verdicts(path, page, plan, run, records)
        skipped = len(page.python_blocks) - len(plan.blocks)
        gpu = f" ({recorded} of them checked against a recorded GPU run)" if recorded else ""
        status = "FAIL" if verdicts else "ok"
        print(
            f"{status} {_shown(path)}: {len(plan.blocks)} blocks ran, {skipped} skipped{gpu}, "
            f"{run.seconds:.1f} s"
        )
        for line in verdicts:
            print(line)
        failed += bool(verdicts)
    return 1 if failed else 0


def fill(paths: list[Path]) -> int:
    from primersite.check.fill import fill as fill_page

    status = 0
    for path in paths:
        text, run = fill_page(path)
        if run.error or run.ended_early:
            # a partial fill would drop the outputs after the failure: leave the page alone
            why = run.ended_early or f"{run.error['type']}: {run.error['message']}"
            line = f" at line {run.error['line']}" if run.error else ""
            print(
                f"{_shown(path)}: stopped early{line} ({why}); page left as it was", file=sys.stderr
            )
            status = 1
            continue
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
            print(f"updated {_shown(path)}")
        for name, data in run.files.items():
            target = path.parent / name
            shown = f"]({name})" in text
            if "/" not in name and shown and (not target.is_file() or target.read_bytes() != data):
                target.write_bytes(data)
                print(f"updated {_shown(target)}")
    return status


def report() -> int:
    from primersite.check.lex import read_page

    pages = sorted(
        p for p in DOCS.rglob("*.md") if not p.relative_to(DOCS).parts[0].startswith("_")
    )
    ran = skipped = 0
    reasons = []
    for path in pages:
        page = read_page(path, ROOT)
        plan = page.plan(os.environ)
        ran += len(plan.blocks)
        for b in page.python_blocks:
            if plan.index(b) is None:
                skipped += 1
                reasons.append(f"  {path.relative_to(DOCS)}:{b.line}: {b.skip_reason}")
    print(f"pages: {len(pages)}\nblocks run: {ran}\nblocks skipped with a reason: {skipped}")
    print("\n".join(reasons))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m primersite", description="Check, fill or count the site's pages."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("check", "run pages once; print each verdict"),
        ("fill", "rewrite #> lines from a run"),
    ):
        sub.add_parser(name, help=text).add_argument("pages", nargs="+", type=Path)
    sub.add_parser("report", help="count pages, blocks run and skipped")
    args = parser.parse_args(argv)
    if args.command == "report":
        return report()
    pages = _pages(args.pages, parser)
    return check(pages) if args.command == "check" else fill(pages)


if __name__ == "__main__":
    sys.exit(main())
