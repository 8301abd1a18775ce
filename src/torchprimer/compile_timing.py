"""Training steps to time eagerly and under ``torch.compile``, and a fresh process to time the first.

The example ``examples/compile_training.py`` times two training steps, eager against
compiled. Both are built here, so that a new Python process can build exactly the same
step: the cost of the first compiled steps is what a new run of a script pays, and only a
new process shows it (one that has compiled before has its compiler started and its
code in memory). ``python -m torchprimer.compile_timing WORKLOAD`` is that process: it
prints one line of JSON with the time of the compiler's start-up and of each first step.

>>> step = make_step(WORKLOADS["mlp"], compiled=False)
>>> round(step(), 4)  # one SGD step of the MLP on its fixed batch: the loss before the step
2.3001
>>> step() < 2.3001  # the step trained
True
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import torch
from torch import nn
from torch.nn import functional as F

from torchprimer.examples_cli import exit_with_input_error, int_range, positive_int

__all__ = [
    "WORKLOADS",
    "Workload",
    "first_steps",
    "main",
    "make_step",
    "mlp_workload",
    "seconds",
    "time_alternately",
    "transformer_workload",
]


@dataclass
class Workload:
    """A model, its optimizer, one fixed batch, the loss, and the gradient norm to clip to."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    batch: tuple[torch.Tensor, torch.Tensor]
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    clip: float | None = None


def mlp_workload(batch_size: int = 256) -> Workload:
    """The digits MLP, 64 -> 128 -> 10, with SGD and momentum, on random inputs."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    batch = (torch.rand(batch_size, 64), torch.randint(0, 10, (batch_size,)))
    return Workload(model, optimizer, batch, F.cross_entropy)


def transformer_workload(batch_size: int = 32) -> Workload:
    """The Transformer example's step: TinyTransformer (67 characters, context 100), Adam at
    0.003, gradients clipped to norm 1, on ``batch_size`` random chunks of 100 characters."""
    from torchprimer.transformer import TinyTransformer

    torch.manual_seed(0)
    model = TinyTransformer(vocab_size=67, context=100, dim=64, heads=4, layers=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = (torch.randint(0, 67, (batch_size, 100)), torch.randint(0, 67, (batch_size, 100)))

    def loss_fn(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(scores.reshape(-1, 67), targets.reshape(-1))

    return Workload(model, optimizer, batch, loss_fn, clip=1.0)


WORKLOADS: dict[str, Callable[..., Workload]] = {
    "mlp": mlp_workload,
    "transformer": transformer_workload,
}


def make_step(
    workload: Callable[..., Workload],
    compiled: bool,
    backend: str = "inductor",
    **kwargs: int,
) -> Callable[[], float]:
    """A function running one training step, eager or with model and optimizer step compiled.

    The model and ``optimizer.step`` are compiled separately (as the page "torch.compile
    for training" does); the loss, ``zero_grad``, ``backward`` and clipping run eagerly.
    The step returns the loss as a float, so each call waits for its work to finish.
    """
    w = workload(**kwargs)
    forward = torch.compile(w.model, backend=backend) if compiled else w.model
    update = torch.compile(w.optimizer.step, backend=backend) if compiled else w.optimizer.step
    x, y = w.batch

    def step() -> float:
        loss = w.loss_fn(forward(x), y)
        w.optimizer.zero_grad()
        loss.backward()
        if w.clip is not None:
            nn.utils.clip_grad_norm_(w.model.parameters(), max_norm=w.clip)
        update()
        return loss.item()

    return step


def seconds(fn: Callable[[], object], n: int) -> float:
    """Wall-clock seconds of ``n`` calls of ``fn``."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - start


def time_alternately(
    fns: dict[str, Callable[[], object]], calls: int, repeats: int
) -> dict[str, list[float]]:
    """Seconds per call of each function, ``repeats`` times, the functions taking turns.

    Each repeat times ``calls`` calls of every function in turn, so a change in the
    machine's load during the measurement falls on all of them alike.

    >>> times = time_alternately({"a": lambda: None, "b": lambda: sum(range(100))}, 10, 3)
    >>> sorted(times), [len(t) for t in times.values()]
    (['a', 'b'], [3, 3])
    """
    per_call: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            per_call[name].append(seconds(fn, calls) / calls)
    return per_call


def first_steps(name: str, backend: str = "inductor", steps: int = 2) -> dict[str, object]:
    """Times, in this process, the compiler's start-up and then the first compiled steps.

    The start-up is the first compile of the process, of a function that adds 1: what any
    first compile pays once (importing the compiler, starting its worker processes,
    checking the C++ compiler) and no later one does. Returns ``{"startup_s": ...,
    "steps_s": [...], "graphs": ...}``, ``graphs`` being how many graphs were compiled.

    >>> result = first_steps("mlp", backend="eager", steps=2)
    >>> len(result["steps_s"]), result["graphs"] > 0
    (2, True)
    """
    from torch._dynamo.utils import counters

    start = time.perf_counter()
    torch.compile(lambda x: x + 1, backend=backend)(torch.zeros(1))
    startup = time.perf_counter() - start
    graphs_before = counters["stats"]["unique_graphs"]
    step = make_step(WORKLOADS[name], compiled=True, backend=backend)
    times = [seconds(step, 1) for _ in range(steps)]
    return {
        "startup_s": startup,
        "steps_s": times,
        "graphs": counters["stats"]["unique_graphs"] - graphs_before,
    }


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        exit_with_input_error(self.prog, message)


def main(argv: list[str] | None = None) -> int:
    """``python -m torchprimer.compile_timing WORKLOAD``: one line of JSON from :func:`first_steps`."""
    parser = _OneLineParser(
        prog="python -m torchprimer.compile_timing",
        description="Time the compiler's start-up and the first compiled training steps.",
    )
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--backend", choices=["inductor", "aot_eager", "eager"], default="inductor")
    parser.add_argument("--steps", type=int_range(1, 10), default=2, help="first steps to time")
    parser.add_argument("--threads", type=positive_int, default=1, help="CPU threads for torch")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(json.dumps(first_steps(args.workload, args.backend, args.steps)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
