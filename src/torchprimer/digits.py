"""A DigitsCNN trained on scikit-learn's bundled 8x8 digits: the third model ``hubconf.py`` serves.

scikit-learn ships the digits (1,797 images, no download), so these weights can be
re-made anywhere in seconds: ``python -m torchprimer.digits --publish src/torchprimer/weights``.

>>> (x_train, y_train), (x_test, y_test) = digits_split(seed=0)
>>> tuple(x_train.shape), tuple(x_test.shape), x_train.dtype, float(x_train.max())
((1347, 1, 8, 8), (450, 1, 8, 8), torch.float32, 1.0)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch import nn


def digits_split(
    seed: int = 0,
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """``load_digits()`` as tensors ``(N, 1, 8, 8)`` scaled to 0..1, split 75/25 stratified by class."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(digits.target, dtype=torch.int64)
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=0.25, stratify=digits.target, random_state=seed
    )
    return (images[train_idx], labels[train_idx]), (images[test_idx], labels[test_idx])


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
    from torchprimer.checkpoint import save_checkpoint

    parser = argparse.ArgumentParser(
        prog="python -m torchprimer.digits",
        description="Train the DigitsCNN that hubconf.py's digits_cnn serves.",
    )
    parser.add_argument("--publish", required=True, help="folder to write digits_cnn.pt/.json to")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model, accuracy = train_digits_cnn(args.epochs, args.seed)
    import platform

    from torchprimer.machine import cpu_model

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
            "trained_by": "python -m torchprimer.digits",
        },
    )
    print(f"digits_cnn: test accuracy {accuracy:.2%}, sha256 {info['sha256'][:16]}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
