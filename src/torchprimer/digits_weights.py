"""Train the DigitsCNN that ``hubconf.py`` serves as ``digits_cnn``, and publish its weights.

The digits ship with scikit-learn (:mod:`torchprimer.digits`), so these weights can be
re-made anywhere in seconds: ``python -m torchprimer.digits_weights --publish
src/torchprimer/weights`` trains on the random 75/25 split of
:func:`torchprimer.digits.digits_split` and writes ``digits_cnn.pt`` with its sidecar.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import nn

from torchprimer.digits import digits_split

__all__ = ["main", "train_digits_cnn"]

_PROG = "python -m torchprimer.digits_weights"


def train_digits_cnn(epochs: int = 20, seed: int = 0) -> tuple[nn.Module, float]:
    """Train a DigitsCNN with Adam (batch 64); return it in eval mode and its test accuracy."""
    from torch.utils.data import DataLoader, TensorDataset

    from torchprimer.models import DigitsCNN
    from torchprimer.training import evaluate, train_one_epoch

    (x_train, y_train), (x_test, y_test) = digits_split(seed)
    torch.manual_seed(seed)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=64,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    for _ in range(epochs):
        train_one_epoch(model, loader, loss_fn, optimizer)
    result = evaluate(model, DataLoader(TensorDataset(x_test, y_test), batch_size=500), loss_fn)
    return model.eval(), float(result.accuracy)


def main(argv: list[str] | None = None) -> int:
    """Train, then save ``digits_cnn.pt`` and its ``.json`` sidecar into ``--publish``."""
    import platform

    from torchprimer.checkpoint import save_checkpoint
    from torchprimer.machine import cpu_model

    parser = argparse.ArgumentParser(
        prog=_PROG, description="Train the DigitsCNN that hubconf.py's digits_cnn serves."
    )
    parser.add_argument("--publish", required=True, help="folder to write digits_cnn.pt/.json to")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model, accuracy = train_digits_cnn(args.epochs, args.seed)
    info = save_checkpoint(
        model,
        Path(args.publish) / "digits_cnn.pt",
        arch="DigitsCNN",
        kwargs={},
        overwrite=True,
        metadata={
            "data": f"scikit-learn load_digits, 75/25 stratified split, seed {args.seed}",
            "epochs": args.epochs,
            "test_accuracy": round(accuracy, 4),
            "device": f"CPU: {cpu_model()}",
            "torch": torch.__version__,
            "python": platform.python_version(),
            "trained_by": _PROG,
        },
    )
    print(f"digits_cnn: test accuracy {accuracy:.2%}, sha256 {info['sha256'][:16]}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
