"""FSDP2 (``fully_shard``) on two CPU processes with gloo trains exactly what one process trains.

The FSDP page (docs/modern/fsdp.md) runs a two-rank job and compares it with one process;
this file checks the same claim independently, for both ways of resharding, and checks
what each rank stores: half of every parameter's rows, of its gradient and of its
optimizer state. One real ``python -m torch.distributed.run`` (torchrun) job with a
timeout, on loopback only, trains a new model for each way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from conftest import once_per_run, script_env

STEPS, BATCH = 8, 64
SCRIPT = """
import gc
import json
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.fsdp import fully_shard
from torch.nn import functional as F

out, modes = sys.argv[1], sys.argv[2:]
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()


def train(reshard):  # a new model sharded one way, trained: what each rank stores, and the full weights
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 5))
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer, reshard_after_forward=reshard)
    fully_shard(model, reshard_after_forward=reshard)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    torch.manual_seed(1)
    inputs, targets = torch.randn(STEPS, BATCH, 20), torch.randint(0, 5, (STEPS, BATCH))
    for x, y in zip(inputs, targets):
        loss = F.cross_entropy(model(x[rank::world]), y[rank::world])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    stored = {name: {"kind": type(p).__name__, "full": list(p.shape), "local": list(p.to_local().shape),
                     "grad": list(p.grad.to_local().shape),
                     "momentum": list(optimizer.state[p]["momentum_buffer"].to_local().shape),
                     "rows": p.to_local().detach().tolist()}
              for name, p in model.named_parameters()}
    everyone = [None] * world
    dist.all_gather_object(everyone, stored)
    full = {name: p.full_tensor() for name, p in model.named_parameters()}
    return type(model).__name__, everyone, full


for mode in modes:  # one job for both ways: each starts from a new model and new data
    name, everyone, full = train(reshard=mode == "reshard")
    if rank == 0:
        torch.save(full, f"{out}-{mode}.pt")
        with open(f"{out}-{mode}.json", "w") as f:
            json.dump({"world": world, "class": name, "ranks": everyone}, f)
    # sharded tensors outliving the process group make gloo abort at exit now and then (torch 2.14.1)
    del everyone, full
    gc.collect()
dist.destroy_process_group()
""".replace("STEPS", str(STEPS)).replace("BATCH", str(BATCH))


def one_process() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 5)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    torch.manual_seed(1)
    inputs, targets = torch.randn(STEPS, BATCH, 20), torch.randint(0, 5, (STEPS, BATCH))
    for x, y in zip(inputs, targets):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return {name: p.detach() for name, p in model.named_parameters()}


MODES = {"reshard_after_forward": "reshard", "keep_after_forward": "keep"}


@pytest.fixture(scope="module")
def fsdp_runs(tmp_path_factory) -> dict[str, tuple[dict, dict[str, torch.Tensor]]]:
    """One two-rank torchrun job per test run that trains a model sharded each way: per way,
    what each rank stored and the full weights. (One job, not one per way or per xdist
    worker: each job starts three interpreters that import torch.)"""

    def job(folder: Path) -> str | None:
        script = folder / "fsdp_job.py"
        script.write_text(SCRIPT)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                "--nproc_per_node=2",
                str(script),
                str(folder / "result"),
                *MODES.values(),
            ],
            cwd=folder,
            env=script_env(OMP_NUM_THREADS="1"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        return None if proc.returncode == 0 else proc.stderr[-3000:]

    folder = once_per_run(tmp_path_factory, "fsdp-job", job)
    return {
        mode: (
            json.loads((folder / f"result-{mode}.json").read_text()),
            torch.load(folder / f"result-{mode}.pt", weights_only=True),
        )
        for mode in MODES.values()
    }


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_two_sharded_ranks_train_what_one_process_trains(fsdp_runs, mode):
    report, weights = fsdp_runs[mode]
    reference = one_process()
    assert sorted(weights) == sorted(reference)
    difference = max((weights[name] - p).abs().max().item() for name, p in reference.items())
    assert difference < 1e-6, f"largest weight difference {difference:.3g}"

    # what each rank stores: its half of every parameter's rows, gradient and momentum
    assert report["world"] == 2 and report["class"] == "FSDPSequential"
    for name, p in reference.items():
        per_rank = [r[name] for r in report["ranks"]]
        assert all(s["kind"] == "DTensor" and s["full"] == list(p.shape) for s in per_rank)
        assert sum(s["local"][0] for s in per_rank) == p.shape[0]
        assert all(s["local"] == s["grad"] == s["momentum"] for s in per_rank)
        assert all(s["local"][0] < p.shape[0] for s in per_rank)  # nobody holds the whole parameter
        # rank 0's rows, then rank 1's
        rows = torch.tensor([row for s in per_rank for row in s["rows"]])
        assert torch.equal(rows.reshape(p.shape), weights[name]), name
