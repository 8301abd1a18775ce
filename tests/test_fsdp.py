"""FSDP2 (``fully_shard``) on two CPU processes with gloo trains exactly what one process trains.

The FSDP page (docs/modern/fsdp.md) runs a two-rank job and compares it with one process;
this file checks the same claim independently, for both ways of resharding, and checks
what each rank stores: half of every parameter's rows, of its gradient and of its
optimizer state. Each run is a real ``python -m torch.distributed.run`` (torchrun) with a
timeout, on loopback only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

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

out, reshard = sys.argv[1], sys.argv[2] == "reshard"
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
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
if rank == 0:
    torch.save(full, out + ".pt")
    with open(out + ".json", "w") as f:
        json.dump({"world": world, "class": type(model).__name__, "ranks": everyone}, f)
# sharded tensors outliving the process group make gloo abort at exit now and then (torch 2.14.1)
del model, optimizer
gc.collect()
dist.destroy_process_group()
""".replace("STEPS", str(STEPS)).replace("BATCH", str(BATCH))

LAUNCH_VARS = (
    "RANK",
    "WORLD_SIZE",
    "LOCAL_RANK",
    "LOCAL_WORLD_SIZE",
    "GROUP_RANK",
    "MASTER_ADDR",
    "MASTER_PORT",
)


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


def torchrun_fsdp(tmp_path: Path, mode: str) -> tuple[dict, dict[str, torch.Tensor], float]:
    script = tmp_path / "fsdp_job.py"
    script.write_text(SCRIPT)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in LAUNCH_VARS and not k.startswith(("TORCHELASTIC_", "PET_"))
    }
    env["OMP_NUM_THREADS"] = "1"
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(script),
            str(tmp_path / "result"),
            mode,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "result.json").read_text())
    weights = torch.load(tmp_path / "result.pt", weights_only=True)
    return report, weights, seconds


@pytest.mark.slow
@pytest.mark.parametrize(
    "mode", ["reshard", "keep"], ids=["reshard_after_forward", "keep_after_forward"]
)
def test_two_sharded_ranks_train_what_one_process_trains(tmp_path, mode):
    report, weights, _ = torchrun_fsdp(tmp_path, mode)
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
