"""What one pass over a loader measured, and the running tally that measures it."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["EpochResult"]


@dataclass(frozen=True)
class EpochResult:
    """What one pass over a loader measured.

    Attributes:
        loss: mean loss per sample over the pass (batches weighted by their size, so a
            short last batch counts for what it holds).
        accuracy: fraction of samples whose largest output is the target class, when the
            targets are class indices (``int64``) and the outputs are ``[N, C]`` scores;
            ``None`` otherwise (regression, multi-label, ...).
        samples: how many samples the pass saw.

    >>> EpochResult(loss=0.5, accuracy=None, samples=10)
    EpochResult(loss=0.5, accuracy=None, samples=10)
    """

    loss: float
    accuracy: float | None
    samples: int


class Tally:
    """Sums loss and correct predictions over batches, weighting each batch by its size."""

    def __init__(self) -> None:
        self.loss_sum = 0.0
        self.correct = 0
        self.samples = 0
        self.batches = 0
        # Accuracy is only meaningful if every batch was a classification batch.
        self.classification = True

    def add(
        self, loss: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor, reduction: str
    ) -> None:
        n = _batch_size(targets)
        # .item() syncs with the device once per batch; that is the price of an exact
        # running total, and it keeps no graph alive.
        value = loss.detach().float().item()
        self.loss_sum += value if reduction == "sum" else value * n
        self.samples += n
        self.batches += 1
        if (
            self.classification
            and targets.dtype == torch.int64
            and targets.ndim == 1
            and outputs.ndim == 2
            and outputs.shape[0] == n
        ):
            self.correct += int((outputs.detach().argmax(dim=1) == targets).sum().item())
        else:
            self.classification = False

    def result(self, where: str) -> EpochResult:
        if self.batches == 0 or self.samples == 0:
            raise ValueError(
                f"{where}: the loader yielded no samples; "
                "check the dataset is not empty and drop_last with a small dataset"
            )
        accuracy = self.correct / self.samples if self.classification else None
        return EpochResult(
            loss=self.loss_sum / self.samples, accuracy=accuracy, samples=self.samples
        )


def _batch_size(targets: torch.Tensor) -> int:
    if targets.ndim == 0:
        raise ValueError("targets must have a batch dimension; got a 0-d tensor")
    return int(targets.shape[0])
