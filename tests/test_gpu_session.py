"""The GPU session: its dry run does every step the GPU machine does, at smoke size, here.

A GPU machine is lent rarely; the dry run keeps the one command it runs from rotting in
between (:mod:`primersite.render.gpu_session`).
"""

from __future__ import annotations

import hashlib
import json
import random
import tarfile
from pathlib import Path

import pytest
from primersite.render import gpu_carry, gpu_session

from conftest import new_python
from torchprimer.checkpoint import verify
from torchprimer.pretrained import WEIGHTS_DIR

ROOT = Path(__file__).resolve().parents[1]


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.slow
def test_dry_run_does_every_step_and_leaves_the_checkout_alone(tmp_path):
    weights, notebooks = _digests(WEIGHTS_DIR), _digests(ROOT / "docs" / "examples")
    out = tmp_path / "out"
    proc = new_python(
        "primersite.render.gpu_session", ["run", "--dry-run", "--out", str(out)], ROOT, module=True
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    status = {step["step"]: step["status"] for step in summary["steps"]}
    for step in ("gpu blocks", "cifar10_train", "publish", "pretrained_inference"):
        assert status[step] == "ok", status
    assert status["cifar10_speedrun"] == "ok", status
    with tarfile.open(out / "gpu-session.tar.gz") as tar:
        tar.extractall(tmp_path / "results", filter="data")
    results = tmp_path / "results"
    for name in ("cifar10_train", "pretrained_inference", "cifar10_speedrun"):
        stamp = json.loads((results / "notebooks" / f"{name}.ipynb").read_text())["metadata"]
        assert "--smoke" in stamp["primersite"]["stamp"]["argv"], name
    for name in ("cifar10_baseline_cnn", "cifar10_resnet_small"):
        assert verify(results / "weights" / f"{name}.pt")["metadata"]["train_images"] == 40
    blocks = json.loads((results / "gpu-blocks.json").read_text())
    assert len(blocks["results"]) == 2 and blocks["stamp"]["gpu"] is None
    # the dry run wrote its notebooks and weights into its results, not into the checkout
    assert _digests(WEIGHTS_DIR) == weights
    assert _digests(ROOT / "docs" / "examples") == notebooks


def test_results_are_split_below_the_file_limit_and_joined_again(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_carry, "PART_BYTES", 1000)
    session = gpu_session.Session(tmp_path / "out", dry_run=True, deadline=0.0)
    data = random.Random(0).randbytes(5000)  # incompressible: the archive stays over 1000 bytes
    (session.stage / "notebooks" / "demo.ipynb").write_bytes(data)
    session.log("one line")
    gpu_session.pack(session)
    parts = sorted((tmp_path / "out").glob("gpu-session.tar.gz.part*"))
    assert len(parts) > 1 and all(p.stat().st_size <= 1000 for p in parts)
    assert not (tmp_path / "out" / "gpu-session.tar.gz").exists()
    (tmp_path / "unpacked").mkdir()
    got = gpu_carry.read_archive(tmp_path / "out", tmp_path / "unpacked")
    assert (got / "notebooks" / "demo.ipynb").read_bytes() == data
    assert "one line" in (got / "log.txt").read_text()


def test_a_step_past_the_deadline_is_not_started(tmp_path):
    session = gpu_session.Session(tmp_path / "out", dry_run=True, deadline=0.0)
    assert session.run("cifar10_train", ["true"]) is False
    assert session.steps == [{"step": "cifar10_train", "status": "not run: no time left"}]
