"""Checkpoints: hash checked before torch.load, one clear error per problem, nothing overwritten."""

from __future__ import annotations

import json
import subprocess

import pytest
import torch

from conftest import run_python
from torchprimer import checkpoint
from torchprimer.checkpoint import (
    CheckpointError,
    CheckpointNotFoundError,
    load_checkpoint,
    load_model,
    save_checkpoint,
    sha256_file,
    verify,
)
from torchprimer.models import ResNetSmall

SMALL = {"widths": [4, 8, 8, 8]}


@pytest.fixture()
def saved(tmp_path):
    torch.manual_seed(0)
    model = ResNetSmall(widths=(4, 8, 8, 8))
    path = tmp_path / "net.pt"
    info = save_checkpoint(
        model, path, arch="ResNetSmall", kwargs=SMALL, metadata={"trained_on": "nothing"}
    )
    return model, path, info


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_round_trip_restores_weights_and_eval_mode(saved):
    model, path, info = saved
    loaded = load_model(path)
    assert not loaded.training
    for (k1, v1), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k1 == k2 and torch.equal(v1, v2)
    assert info["sha256"] == sha256_file(path) and info["bytes"] == path.stat().st_size
    assert json.loads(path.with_suffix(".json").read_text()) == info
    assert info["metadata"] == {"trained_on": "nothing"}


def test_save_refuses_to_overwrite(saved):
    model, path, _ = saved
    before = _files(path.parent)
    with pytest.raises(FileExistsError, match="net.pt: exists"):
        save_checkpoint(model, path, arch="ResNetSmall", kwargs=SMALL)
    assert _files(path.parent) == before
    save_checkpoint(
        model, path, arch="ResNetSmall", kwargs=SMALL, metadata={"v": 2}, overwrite=True
    )
    assert json.loads(path.with_suffix(".json").read_text())["metadata"] == {"v": 2}
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "net.json",
        "net.pt",
    ]  # no temp files left


def test_truncated_file(saved):
    _, path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"net.pt: truncated: \d+ bytes, the sidecar records"):
        load_model(path)


def test_corrupted_file_never_reaches_torch_load(saved, monkeypatch):
    _, path, _ = saved
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    path.write_bytes(bytes(data))
    calls = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(a))
    with pytest.raises(
        CheckpointError, match="net.pt: SHA-256 mismatch: expected .* corrupted or was replaced"
    ):
        load_checkpoint(path)
    assert calls == []


def test_wrong_hash_given_explicitly(saved):
    _, path, _ = saved
    with pytest.raises(CheckpointError, match="SHA-256 mismatch: expected 0000000000000000"):
        load_checkpoint(path, sha256="0" * 64)
    state, _ = load_checkpoint(path, sha256=sha256_file(path))
    assert "net.0.0.weight" in state


def test_load_uses_weights_only(saved, monkeypatch):
    _, path, _ = saved
    seen = {}
    real = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load_checkpoint(path)
    assert seen["weights_only"] is True


def test_pickled_code_is_refused_even_with_a_matching_hash(tmp_path):
    # a file with a valid recorded hash but a pickled object: weights_only refuses it
    path = tmp_path / "evil.pt"
    torch.save({"x": torch.zeros(1), "obj": subprocess.CompletedProcess}, path)
    path.with_suffix(".json").write_text(
        json.dumps(
            {
                "format": checkpoint.FORMAT,
                "sha256": sha256_file(path),
                "bytes": path.stat().st_size,
                "arch": "ResNetSmall",
                "kwargs": {},
            }
        )
    )
    with pytest.raises(CheckpointError, match="evil.pt: not a loadable checkpoint"):
        load_checkpoint(path)


def test_missing_files(saved, tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="nothing.pt: checkpoint not found") as info:
        load_model(tmp_path / "nothing.pt")
    assert isinstance(info.value, FileNotFoundError)
    _, path, _ = saved
    path.with_suffix(".json").unlink()
    with pytest.raises(CheckpointNotFoundError, match="net.json: sidecar not found"):
        load_model(path)


def test_bad_sidecar(saved):
    _, path, _ = saved
    path.with_suffix(".json").write_text("{not json")
    with pytest.raises(CheckpointError, match="net.json: not valid JSON"):
        verify(path)
    path.with_suffix(".json").write_text(json.dumps({"format": checkpoint.FORMAT, "sha256": "x"}))
    with pytest.raises(CheckpointError, match=r"missing fields \['bytes'\]"):
        verify(path)


def test_a_training_state_round_trips_and_is_not_a_model(tmp_path):
    path = tmp_path / "step-000003.pt"
    info = checkpoint.save_state({"step": 3, "w": torch.ones(2)}, path, metadata={"run": "demo"})
    assert "arch" not in info and info["metadata"] == {"run": "demo"}
    state, side = checkpoint.load_state(path)
    assert state["step"] == 3 and torch.equal(state["w"], torch.ones(2)) and side == info
    with pytest.raises(CheckpointError, match="a training state, not a model checkpoint"):
        load_model(path)


def test_latest_step_checkpoint_ignores_one_without_its_sidecar(tmp_path):
    for step in (5, 10, 20):
        checkpoint.save_state({"step": step}, checkpoint.step_path(tmp_path, step))
    checkpoint.sidecar_path(checkpoint.step_path(tmp_path, 20)).unlink()  # an interrupted save
    assert [p.name for p in checkpoint.step_checkpoints(tmp_path)] == [
        "step-000005.pt",
        "step-000010.pt",
    ]
    assert checkpoint.latest_checkpoint(tmp_path).name == "step-000010.pt"
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        checkpoint.latest_checkpoint(tmp_path / "typo")


def test_weights_for_another_architecture(saved):
    _, path, info = saved
    side = path.with_suffix(".json")
    side.write_text(json.dumps({**info, "kwargs": {"widths": [8, 8, 8, 8]}}))
    with pytest.raises(CheckpointError, match=r"net.pt: weights do not fit ResNetSmall"):
        load_model(path)


def test_cli_one_line_per_file_and_exit_status(saved, tmp_path):
    _, path, _ = saved
    run = lambda *a: run_python("torchprimer.checkpoint", a, tmp_path, 120, module=True)  # noqa: E731
    ok = run(str(path))
    assert ok.returncode == 0 and ok.stdout.startswith(f"{path}: ok, sha256 ")
    path.write_bytes(path.read_bytes()[:10])
    bad = run(str(path))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "truncated" in bad.stderr
    assert run().returncode == 2
