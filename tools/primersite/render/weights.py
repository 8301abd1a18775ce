"""``python -m primersite.render.weights`` (``make weights``): publish the weights ``hubconf.py`` serves.

Publishing is its own step, never a side effect of rendering a page:

* ``digits_cnn`` is retrained here on scikit-learn's digits (seconds) and saved with its
  measured test accuracy;
* the CIFAR-10 checkpoints are copied from the last ``cifar10_train`` run
  (``runs/cifar10_train/``, where the example writes them), after their SHA-256 is checked
  against their sidecars. Without such a run the published ones stay as they are.

Both land in ``src/torchprimer/weights/`` through atomic writes. Commit them, then
re-render the examples that load them (their stamps record the weights' hashes, so the
tests say which are stale).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from primersite import ROOT
from torchprimer.checkpoint import CheckpointError, sidecar_path, verify
from torchprimer.files import atomic_write
from torchprimer.pretrained import WEIGHTS_DIR

CIFAR_WEIGHTS = ("cifar10_baseline_cnn", "cifar10_resnet_small")


def publish_run(run_dir: Path, weights_dir: Path = WEIGHTS_DIR) -> list[str]:
    """Copy the checked CIFAR-10 checkpoints of ``run_dir`` into ``weights_dir``; return what was published."""
    published = []
    for name in CIFAR_WEIGHTS:
        source = run_dir / f"{name}.pt"
        if not source.is_file():
            continue
        info = verify(source)  # a damaged or half-written checkpoint is never published
        atomic_write(weights_dir / source.name, source.read_bytes())
        atomic_write(sidecar_path(weights_dir / source.name), sidecar_path(source).read_bytes())
        published.append(
            f"{name}: test accuracy {info['metadata'].get('test_accuracy')}, sha256 {info['sha256'][:16]}..."
        )
    return published


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m primersite.render.weights", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--from",
        dest="run_dir",
        type=Path,
        default=ROOT / "runs" / "cifar10_train",
        help="the cifar10_train run to publish from (default runs/cifar10_train)",
    )
    parser.add_argument(
        "--to",
        type=Path,
        default=WEIGHTS_DIR,
        help="the folder to publish into (default src/torchprimer/weights)",
    )
    parser.add_argument("--no-digits", action="store_true", help="do not retrain digits_cnn")
    args = parser.parse_args(argv)
    if not args.no_digits:
        from torchprimer import digits_weights

        digits_weights.main(["--publish", str(args.to)])
    try:
        args.to.mkdir(parents=True, exist_ok=True)
        published = publish_run(args.run_dir, args.to)
    except CheckpointError as err:
        print(f"weights: error: {err}", file=sys.stderr)
        return 1
    for line in published or [
        f"no CIFAR-10 checkpoints in {args.run_dir}: the published ones stay "
        "(render cifar10_train first to publish new ones)"
    ]:
        print(f"weights: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
