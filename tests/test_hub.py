"""hubconf.py: torch.hub lists and loads the committed weights offline, hash-checked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from torchprimer.checkpoint import CheckpointError, read_sidecar, sha256_file

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "src" / "torchprimer" / "weights"
ENTRIES = {
    "baseline_cnn": "cifar10_baseline_cnn",
    "resnet_small": "cifar10_resnet_small",
    "digits_cnn": "digits_cnn",
}


def test_hub_lists_the_entries():
    from torchprimer.hub import list_local

    assert list_local(ROOT) == sorted(ENTRIES)


def test_list_local_needs_a_hubconf(tmp_path):
    from torchprimer.hub import list_local

    with pytest.raises(FileNotFoundError, match="hubconf.py: not found"):
        list_local(tmp_path)


@pytest.mark.parametrize("weights", sorted(ENTRIES.values()))
def test_committed_weights_match_their_sidecar_and_size_limit(weights):
    path = WEIGHTS / f"{weights}.pt"
    info = read_sidecar(path)
    assert sha256_file(path) == info["sha256"]
    assert path.stat().st_size == info["bytes"] < 10_000_000
    meta = info["metadata"]
    # every published checkpoint says where and how it was trained, and how well it does
    assert {"device", "torch", "trained_by", "test_accuracy", "data"} <= set(meta)
    assert meta["device"].startswith(("CPU: ", "NVIDIA")) or "GPU" in meta["device"]


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_load_pretrained_offline(entry):
    model = torch.hub.load(str(ROOT), entry, source="local", pretrained=True)
    assert not model.training
    assert model.checkpoint_info["sha256"] == sha256_file(WEIGHTS / f"{ENTRIES[entry]}.pt")
    shape = (2, 1, 8, 8) if entry == "digits_cnn" else (2, 3, 32, 32)
    with torch.no_grad():
        assert model(torch.zeros(shape)).shape == (2, 10)


def test_untrained_entry_takes_constructor_arguments():
    model = torch.hub.load(str(ROOT), "resnet_small", source="local", widths=(8, 16, 16, 32))
    assert model.training and model.net[0][0].out_channels == 8
    with pytest.raises(ValueError, match="drop"):
        torch.hub.load(
            str(ROOT), "resnet_small", source="local", pretrained=True, widths=(8, 16, 16, 32)
        )


def test_pretrained_digits_model_reads_digits():
    from torchprimer.digits import digits_split

    _, (x_test, y_test) = digits_split(seed=0)
    model = torch.hub.load(str(ROOT), "digits_cnn", source="local", pretrained=True)
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    assert accuracy == pytest.approx(model.checkpoint_info["metadata"]["test_accuracy"], abs=1e-3)
    assert accuracy > 0.9


@pytest.fixture()
def hub_copy(tmp_path):
    """A checkout-like copy of hubconf.py and the package: damage is done there, never to the committed files."""
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    shutil.copy(ROOT / "hubconf.py", repo)
    shutil.copytree(
        ROOT / "src" / "torchprimer",
        repo / "src" / "torchprimer",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return repo


def _committed() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in WEIGHTS.iterdir()}


@pytest.mark.parametrize("damage", ["truncated", "corrupted", "wrong_hash"])
def test_damaged_weights_are_refused(tmp_path, damage):
    from torchprimer.pretrained import load_pretrained

    before = _committed()
    copy = shutil.copytree(WEIGHTS, tmp_path / "weights")
    pt = copy / "cifar10_resnet_small.pt"
    data = pt.read_bytes()
    if damage == "truncated":
        pt.write_bytes(data[: len(data) // 3])
        message = "truncated"
    elif damage == "corrupted":
        pt.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
        message = "SHA-256 mismatch"
    else:
        side = pt.with_suffix(".json")
        side.write_text(json.dumps({**json.loads(side.read_text()), "sha256": "0" * 64}))
        message = "SHA-256 mismatch: expected 0000000000000000"
    with pytest.raises(CheckpointError, match=message):
        load_pretrained("cifar10_resnet_small", root=copy)
    assert _committed() == before


def test_fresh_process_loads_offline_without_the_package_on_the_path(hub_copy, tmp_path):
    # what a user of a plain checkout runs: hubconf adds src/ itself
    code = (
        f"import torch; m = torch.hub.load({str(hub_copy)!r}, 'digits_cnn', source='local', pretrained=True); "
        "import torchprimer; print(type(m).__name__, m.training, torchprimer.__file__)"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={
            "PYTHONPATH": ":".join(p for p in sys.path if "site-packages" in p),
            "PATH": "/usr/bin:/bin",
        },
    )
    assert proc.returncode == 0, proc.stderr
    name, training, location = proc.stdout.split()
    assert (name, training) == ("DigitsCNN", "False") and location.startswith(str(hub_copy))


def test_digits_weights_can_be_remade():
    from torchprimer.digits_weights import train_digits_cnn

    model, accuracy = train_digits_cnn(epochs=3, seed=0)
    assert not model.training and accuracy > 0.8


def test_cifar10_sidecar_accuracy_is_what_the_weights_score():
    """The recorded test accuracies are re-measured on the 10,000 test images, where they are here."""
    import os

    root = os.environ.get("CIFAR10_ROOT")
    if not root:
        pytest.skip(
            "needs the CIFAR-10 JPEG archive (make test extracts it when the machine has it)"
        )
    from torchprimer.cifar import load_cifar10_folder
    from torchprimer.models import normalize
    from torchprimer.pretrained import load_pretrained

    images, labels = load_cifar10_folder(root, split="test").tensors
    for name in ("cifar10_baseline_cnn", "cifar10_resnet_small"):
        model = load_pretrained(name)
        correct = 0
        with torch.inference_mode():
            for start in range(0, len(labels), 1000):
                batch = normalize(images[start : start + 1000])
                correct += (model(batch).argmax(1) == labels[start : start + 1000]).sum().item()
        assert (
            round(correct / len(labels), 4) == model.checkpoint_info["metadata"]["test_accuracy"]
        ), name


def test_publishing_copies_only_checked_checkpoints(tmp_path):
    from primersite.render.weights import publish_run

    from torchprimer.checkpoint import save_checkpoint
    from torchprimer.models import BaselineCNN

    run, published = tmp_path / "run", tmp_path / "weights"
    published.mkdir()
    save_checkpoint(
        BaselineCNN(),
        run / "cifar10_baseline_cnn.pt",
        arch="BaselineCNN",
        metadata={"test_accuracy": 0.1},
    )
    assert publish_run(run, published)[0].startswith("cifar10_baseline_cnn: test accuracy 0.1")
    assert (
        sha256_file(published / "cifar10_baseline_cnn.pt")
        == read_sidecar(published / "cifar10_baseline_cnn.pt")["sha256"]
    )
    data = (run / "cifar10_baseline_cnn.pt").read_bytes()
    (run / "cifar10_baseline_cnn.pt").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    before = (published / "cifar10_baseline_cnn.pt").read_bytes()
    with pytest.raises(CheckpointError, match="SHA-256 mismatch"):
        publish_run(run, published)
    assert (published / "cifar10_baseline_cnn.pt").read_bytes() == before
