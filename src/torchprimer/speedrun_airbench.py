"""Run Keller Jordan's original ``airbench94.py`` on the same decoded images as our recipe.

The script (github.com/KellerJordan/cifar10-airbench, ``legacy/airbench94.py``) is not part
of this package: :func:`run_airbench` is given its path. Its interface, as published:

* ``CifarLoader('cifar10', train=...)`` reads ``cifar10/train.pt`` and ``cifar10/test.pt``
  from the current folder, each ``{'images': uint8 (N, 32, 32, 3), 'labels': int64 (N,),
  'classes': [str, ...]}`` (and downloads CIFAR-10 only when a file is missing);
* ``main(run)`` trains once and returns the test accuracy with test-time augmentation;
* its timing is the local ``total_time_seconds``, which ``main`` hands, inside ``locals()``,
  to ``print_training_details(variables, is_final_entry)`` after the final evaluation.

So :func:`run_airbench` writes our images in that format into a temporary folder, imports
the script as a module (its ``__main__`` block does not run), swaps its
``print_training_details`` for a recorder, and calls ``main`` from that folder.

>>> to_airbench_layout(torch.zeros(5, 3, 32, 32, dtype=torch.uint8)).shape
torch.Size([5, 32, 32, 3])
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from torchprimer.cifar import CLASSES


class AirbenchError(ValueError):
    """The script does not behave like airbench94 (no ``main``, no final timing entry)."""


@dataclass(frozen=True)
class AirbenchResult:
    """Per-run test accuracy (with TTA) and timed seconds, and which script produced them."""

    accuracies: list[float]
    seconds: list[float]
    seeds: list[int]
    sha256: str
    path: str


def to_airbench_layout(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 3, 32, 32)`` as the script stores CIFAR-10: ``(N, 32, 32, 3)`` (NHWC)."""
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(
            f"images: expected uint8 (N, 3, H, W), got {images.dtype} {tuple(images.shape)}"
        )
    return images.permute(0, 2, 3, 1).contiguous().cpu()


def write_airbench_data(folder: Path, train, test, shuffle_seed: int = 0) -> None:
    """``folder/cifar10/{train,test}.pt`` from ``(images, labels)`` pairs.

    The training images are written in one fixed shuffled order: the script whitens from
    the *first* 5000 training images, and our folders are sorted by class.
    """
    (folder / "cifar10").mkdir(parents=True, exist_ok=True)
    order = torch.randperm(len(train[0]), generator=torch.Generator().manual_seed(shuffle_seed))
    for name, (images, labels), index in (("train", train, order), ("test", test, None)):
        if index is not None:
            images, labels = images[index], labels[index]
        record = {
            "images": to_airbench_layout(images),
            "labels": labels.to(torch.int64).cpu(),
            "classes": list(CLASSES),
        }
        torch.save(record, folder / "cifar10" / f"{name}.pt")


def import_script(path: Path):
    """The script as a fresh module object (not in ``sys.modules``; ``__main__`` not run)."""
    spec = importlib.util.spec_from_file_location(f"airbench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "main", None)):
        raise AirbenchError(f"{path}: has no main(run) function; is it airbench94.py?")
    return module


class _Recorder:
    """Stands in for the script's ``print_training_details``: keeps the final entry."""

    def __init__(self) -> None:
        self.final: dict | None = None

    def __call__(self, variables, is_final_entry) -> None:
        if is_final_entry:
            self.final = {
                "seconds": float(variables["total_time_seconds"]),
                "accuracy": variables.get("tta_val_acc"),
            }


def _one_run(module, recorder: _Recorder, run, path: Path) -> tuple[float, float]:
    recorder.final = None
    with contextlib.redirect_stdout(io.StringIO()):
        returned = module.main(run)
    if recorder.final is None:
        raise AirbenchError(
            f"{path}: main({run!r}) never reported a final entry with total_time_seconds"
        )
    accuracy = recorder.final["accuracy"]
    return float(returned if accuracy is None else accuracy), recorder.final["seconds"]


def run_airbench(
    script: str | os.PathLike[str],
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    runs: int = 10,
    seed: int = 0,
    warmup: bool = True,
) -> AirbenchResult:
    """Run the airbench94 script at ``script`` ``runs`` times on our ``(images, labels)``.

    Images are uint8 ``(N, 3, 32, 32)``. One untimed ``main("warmup")`` call comes first
    (the script then trains on random labels: it only warms up the GPU); run ``i`` is
    ``torch.manual_seed(seed + i)`` then ``main(i)``. The script's own printing is
    suppressed, and the current folder is restored afterwards. The script needs CUDA.
    """
    path = Path(script).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{script}: airbench94 script not found")
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    accuracies, seconds, seeds = [], [], []
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="airbench-") as folder:
        write_airbench_data(Path(folder), train, test)
        try:
            os.chdir(folder)
            module = import_script(path)
            recorder = _Recorder()
            module.print_training_details = recorder
            if warmup:
                _one_run(module, recorder, "warmup", path)
            for i in range(runs):
                torch.manual_seed(seed + i)
                accuracy, spent = _one_run(module, recorder, i, path)
                accuracies.append(accuracy)
                seconds.append(spent)
                seeds.append(seed + i)
        finally:
            os.chdir(cwd)
    return AirbenchResult(accuracies, seconds, seeds, sha256, str(path))
