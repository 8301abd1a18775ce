"""The CIFAR-10 folder loader: layout checks, one clear error per problem, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from torchprimer.cifar import (
    CLASSES,
    CifarFolderError,
    CifarFolderNotFoundError,
    load_cifar10_folder,
    make_fixture,
)


@pytest.fixture()
def fixture_root(tmp_path) -> Path:
    return make_fixture(tmp_path / "cifar", per_class=3, seed=0)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_classes_are_the_archive_order():
    assert list(CLASSES) == sorted(CLASSES)
    assert len(set(CLASSES)) == 10
    assert "airplane" in CLASSES and "truck" in CLASSES


def test_loads_uint8_images_and_int64_labels(fixture_root):
    for split in ("train", "test"):
        images, labels = load_cifar10_folder(fixture_root, split).tensors
        assert images.shape == (30, 3, 32, 32) and images.dtype == torch.uint8
        assert labels.dtype == torch.int64
        assert labels.tolist() == [i for i in range(10) for _ in range(3)]


def test_images_match_files_in_class_order(fixture_root):
    images, labels = load_cifar10_folder(fixture_root, "test").tensors
    # the fifth image is the second file of the second class
    with Image.open(fixture_root / "test" / CLASSES[1] / "0001.jpg") as image:
        expected = torch.from_numpy(np.array(image)).permute(2, 0, 1)
    assert torch.equal(images[4], expected) and labels[4] == 1


def test_fixture_is_deterministic_and_seeded(tmp_path):
    a = _snapshot(make_fixture(tmp_path / "a", per_class=2, seed=0))
    b = _snapshot(make_fixture(tmp_path / "b", per_class=2, seed=0))
    c = _snapshot(make_fixture(tmp_path / "c", per_class=2, seed=1))
    assert a == b
    assert a != c
    assert len(a) == 2 * 10 * 2


def test_fixture_classes_differ(fixture_root):
    images, labels = load_cifar10_folder(fixture_root, "train").tensors
    means = torch.stack([images[labels == k].float().mean(0) for k in range(10)])
    # no two classes look alike: a model has something to learn in smoke runs
    distances = torch.cdist(means.flatten(1), means.flatten(1))
    assert distances[~torch.eye(10, dtype=torch.bool)].min() > 100


def test_fixture_refuses_to_overwrite(fixture_root):
    before = _snapshot(fixture_root)
    with pytest.raises(FileExistsError, match=str(fixture_root)):
        make_fixture(fixture_root)
    assert _snapshot(fixture_root) == before


def test_fixture_rejects_bad_count(tmp_path):
    with pytest.raises(ValueError, match="per_class=0"):
        make_fixture(tmp_path / "x", per_class=0)


def test_missing_root(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(
        CifarFolderNotFoundError, match="nowhere: CIFAR-10 folder not found"
    ) as info:
        load_cifar10_folder(missing)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, ValueError)
    assert not missing.exists()


def test_missing_split(fixture_root):
    shutil.rmtree(fixture_root / "test")
    with pytest.raises(CifarFolderNotFoundError, match="test: split folder not found"):
        load_cifar10_folder(fixture_root, "test")


def test_bad_split_name(fixture_root):
    with pytest.raises(ValueError, match="split='valid'"):
        load_cifar10_folder(fixture_root, "valid")


def test_empty_class_folder(fixture_root):
    for f in (fixture_root / "train" / "dog").iterdir():
        f.unlink()
    with pytest.raises(CifarFolderError, match="dog: class folder is empty"):
        load_cifar10_folder(fixture_root, "train")


def test_unexpected_class_folder(fixture_root):
    (fixture_root / "train" / "unicorn").mkdir()
    with pytest.raises(CifarFolderError, match=r"unexpected entries \['unicorn'\]"):
        load_cifar10_folder(fixture_root, "train")


def test_wrong_layout_images_directly_under_split(tmp_path):
    # a flat folder of images (no class folders) is the commonest wrong layout
    split = tmp_path / "flat" / "train"
    split.mkdir(parents=True)
    Image.new("RGB", (32, 32)).save(split / "0000.jpg")
    with pytest.raises(CifarFolderError, match="not a CIFAR-10 split folder") as info:
        load_cifar10_folder(tmp_path / "flat", "train")
    assert "missing class folders" in str(info.value)


def test_missing_class_folder(fixture_root):
    shutil.rmtree(fixture_root / "train" / "ship")
    with pytest.raises(CifarFolderError, match=r"missing class folders \['ship'\]"):
        load_cifar10_folder(fixture_root, "train")


def test_png_named_jpg(fixture_root):
    bad = fixture_root / "train" / "deer" / "0000.jpg"
    Image.new("RGB", (32, 32)).save(bad, format="PNG")
    with pytest.raises(CifarFolderError, match=r"deer/0000.jpg: not a readable JPEG \(it is PNG\)"):
        load_cifar10_folder(fixture_root, "train")


def test_non_jpeg_file(fixture_root):
    (fixture_root / "train" / "cat" / "notes.txt").write_text("hello")
    with pytest.raises(CifarFolderError, match="notes.txt: not a .jpg file"):
        load_cifar10_folder(fixture_root, "train")


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_jpeg(fixture_root, damage):
    bad = fixture_root / "test" / "frog" / "0001.jpg"
    data = bad.read_bytes()
    bad.write_bytes(b"not a jpeg at all" if damage == "garbage" else data[: len(data) // 2])
    before = _snapshot(fixture_root)
    with pytest.raises(CifarFolderError, match=r"frog/0001.jpg: not a readable JPEG"):
        load_cifar10_folder(fixture_root, "test")
    assert _snapshot(fixture_root) == before


@pytest.mark.parametrize(
    ("mode", "size", "shape"), [("L", 32, (1, 32, 32)), ("RGB", 64, (3, 64, 64))]
)
def test_wrong_image_shape(fixture_root, mode, size, shape):
    bad = fixture_root / "train" / "horse" / "0002.jpg"
    Image.new(mode, (size, size), 128).save(bad)
    with pytest.raises(
        CifarFolderError, match=rf"horse/0002.jpg: image has shape \({shape[0]}, {shape[1]}"
    ):
        load_cifar10_folder(fixture_root, "train")


def test_loader_writes_nothing(fixture_root):
    before = _snapshot(fixture_root)
    load_cifar10_folder(fixture_root, "train")
    load_cifar10_folder(fixture_root, "test")
    assert _snapshot(fixture_root) == before


class _FakeCIFAR10:
    """torchvision's CIFAR10 as it behaves offline (after creating its folder), or with data."""

    def __init__(self, root, train, download, fail):
        Path(root).mkdir(parents=True, exist_ok=True)
        (Path(root) / "cifar-10-python.tar.gz").write_bytes(b"partial")
        if fail:
            import urllib.error

            raise urllib.error.URLError("[Errno -2] Name or service not known")
        n = 6 if train else 4
        self.data = np.arange(n * 32 * 32 * 3, dtype=np.uint8).reshape(n, 32, 32, 3)
        self.targets = list(range(n))


@pytest.mark.parametrize("fail", [True, False], ids=["offline", "downloaded"])
def test_download_fallback(tmp_path, monkeypatch, fail):
    """Offline: one line naming the folder, and the folders it made are gone; otherwise the
    same (N, 3, 32, 32) uint8 tensors as the JPEG loader gives."""
    import torchvision.datasets

    from torchprimer.cifar import CifarDownloadError, download_cifar10

    monkeypatch.setattr(
        torchvision.datasets,
        "CIFAR10",
        lambda root, train, download: _FakeCIFAR10(root, train, download, fail),
    )
    root = tmp_path / "new" / "torchvision"
    if fail:
        with pytest.raises(
            CifarDownloadError, match="downloading CIFAR-10 with torchvision failed"
        ):
            download_cifar10(root)
        assert list(tmp_path.iterdir()) == []
        return
    train, test = download_cifar10(root)
    images, labels = train.tensors
    assert (tuple(images.shape), images.dtype, labels.tolist()) == (
        (6, 3, 32, 32),
        torch.uint8,
        [0, 1, 2, 3, 4, 5],
    )
    assert images[0, :, 0, 0].tolist() == [0, 1, 2] and len(test) == 4
