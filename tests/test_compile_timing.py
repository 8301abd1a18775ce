"""The training steps the compile timings example times, and the new process that times the first."""

from __future__ import annotations

import json

import pytest
import torch

from conftest import run_python
from torchprimer.compile_timing import (
    WORKLOADS,
    first_steps,
    make_step,
    time_alternately,
    transformer_workload,
)


def test_eager_and_compiled_steps_train_alike():
    losses = {}
    for compiled in (False, True):
        step = make_step(WORKLOADS["mlp"], compiled=compiled, backend="eager")
        losses[compiled] = [step() for _ in range(3)]
    assert losses[False] == pytest.approx(losses[True], abs=1e-6)
    assert losses[False][2] < losses[False][0]


def test_the_transformer_step_clips_its_gradients():
    workload = transformer_workload(batch_size=2)
    assert workload.clip == 1.0
    step = make_step(lambda: workload, compiled=False)
    step()
    norm = torch.cat([p.grad.flatten() for p in workload.model.parameters()]).norm()
    assert norm <= 1.0 + 1e-4


def test_batch_size_reaches_the_workload():
    workload = WORKLOADS["mlp"](batch_size=1)
    assert workload.batch[0].shape == (1, 64)


def test_time_alternately_takes_turns():
    order = []
    times = time_alternately({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 2, 2)
    assert order == ["a", "a", "b", "b"] * 2
    assert all(len(t) == 2 and min(t) >= 0 for t in times.values())


def test_first_steps_counts_what_was_compiled():
    result = first_steps("mlp", backend="eager", steps=3)
    assert len(result["steps_s"]) == 3 and result["startup_s"] > 0
    assert result["graphs"] >= 2  # the model and the optimizer step at least


def test_the_module_prints_one_line_of_json(tmp_path):
    proc = run_python(
        "torchprimer.compile_timing", ["mlp", "--backend", "eager"], tmp_path, module=True
    )
    assert proc.returncode == 0, proc.stderr
    assert set(json.loads(proc.stdout)) == {"startup_s", "steps_s", "graphs"}


def test_a_bad_argument_is_one_line_and_exit_2(tmp_path):
    proc = run_python("torchprimer.compile_timing", ["mlp", "--steps", "0"], tmp_path, module=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "--steps" in proc.stderr
