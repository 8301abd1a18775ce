"""CIFAR-10 from a folder of JPEGs: one loader that checks the layout, and a tiny fixture.

The site's CIFAR-10 copy is an archive of JPEG files (quality 75) in the
ImageFolder layout, ``<root>/<split>/<class>/<name>.jpg``::

    cifar10/train/airplane/0000.jpg ... cifar10/test/truck/0999.jpg

:func:`load_cifar10_folder` decodes every file once (with Pillow) into one uint8 tensor, so an
epoch afterwards costs no image decoding at all (the whole training split is
50000 x 3 x 32 x 32 bytes = 154 MB). Anything unexpected in the folder stops the
load with one :class:`CifarFolderError` that names the offending path; the
loader only reads.

:func:`make_fixture` writes a tiny, deterministic fake dataset in the same layout
so that tests and ``--smoke`` runs never need the real archive.

>>> import tempfile
>>> root = make_fixture(tempfile.mkdtemp() + "/cifar", per_class=2)
>>> train = load_cifar10_folder(root, "train")
>>> images, labels = train.tensors
>>> tuple(images.shape), images.dtype, labels.tolist()[:4]
((20, 3, 32, 32), torch.uint8, [0, 0, 1, 1])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

#: The ten CIFAR-10 classes in ImageFolder order (alphabetical), so label ``i`` is ``CLASSES[i]``.
CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
SPLITS: tuple[str, ...] = ("train", "test")
IMAGE_SHAPE: tuple[int, int, int] = (3, 32, 32)
_JPEG_SUFFIXES = (".jpg", ".jpeg")


class CifarFolderError(ValueError):
    """The folder is not a CIFAR-10 JPEG folder: the message names the path and what is wrong."""


class CifarFolderNotFoundError(CifarFolderError, FileNotFoundError):
    """A folder the loader needs does not exist (also a :class:`FileNotFoundError`)."""


def _class_files(split_dir: Path) -> list[list[Path]]:
    """The JPEG files of each class folder, in CLASSES order, after checking the layout."""
    entries = {p.name: p for p in split_dir.iterdir() if not p.name.startswith(".")}
    unexpected = sorted(set(entries) - set(CLASSES))
    missing = [name for name in CLASSES if name not in entries]
    if unexpected or missing:
        parts = []
        if unexpected:
            parts.append(f"unexpected entries {unexpected}")
        if missing:
            parts.append(f"missing class folders {missing}")
        raise CifarFolderError(
            f"{split_dir}: not a CIFAR-10 split folder ({'; '.join(parts)}); "
            f"expected exactly the folders {list(CLASSES)}"
        )
    per_class = []
    for name in CLASSES:
        folder = entries[name]
        if not folder.is_dir():
            raise CifarFolderError(f"{folder}: expected a class folder, found a file")
        files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        if not files:
            raise CifarFolderError(f"{folder}: class folder is empty")
        strays = [p for p in files if p.suffix.lower() not in _JPEG_SUFFIXES or not p.is_file()]
        if strays:
            raise CifarFolderError(
                f"{strays[0]}: not a .jpg file (the folder should hold only JPEGs)"
            )
        per_class.append(files)
    return per_class


def _decode(path: Path) -> np.ndarray:
    """One JPEG as a (32, 32, 3) uint8 array, or a CifarFolderError naming the file."""
    # Pillow, not torchvision.io: torchvision 0.29 deprecates its image decoders.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.format != "JPEG":
                raise CifarFolderError(f"{path}: not a readable JPEG (it is {image.format})")
            array = np.asarray(image)  # decodes fully; a truncated file raises OSError here
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise CifarFolderError(f"{path}: not a readable JPEG ({err})") from None
    shape = (1, *array.shape) if array.ndim == 2 else (array.shape[2], *array.shape[:2])
    if shape != IMAGE_SHAPE:
        raise CifarFolderError(
            f"{path}: image has shape {shape}, expected {IMAGE_SHAPE} (32x32 RGB)"
        )
    return array


def load_cifar10_folder(root: str | os.PathLike[str], split: str = "train") -> TensorDataset:
    """Decode ``<root>/<split>/<class>/*.jpg`` into a TensorDataset of (uint8 images, int64 labels).

    Images have shape ``(N, 3, 32, 32)``, ordered by class (CLASSES order) then file
    name; labels are indices into :data:`CLASSES`. Raises :class:`CifarFolderError`
    (a ``ValueError``; :class:`CifarFolderNotFoundError`, also a
    ``FileNotFoundError``, for missing folders) naming the path, for: a missing root
    or split folder, class folders other than the ten CIFAR-10 ones, an empty class
    folder, a file that is not a readable JPEG, or an image that is not 32x32 RGB.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: expected one of {list(SPLITS)}")
    root = Path(root)
    if not root.is_dir():
        raise CifarFolderNotFoundError(
            f"{root}: CIFAR-10 folder not found (expected {root}/train and {root}/test; "
            "extract cifar10-jpeg.tar.xz there)"
        )
    split_dir = root / split
    if not split_dir.is_dir():
        raise CifarFolderNotFoundError(f"{split_dir}: split folder not found in {root}")
    per_class = _class_files(split_dir)

    paths = [path for files in per_class for path in files]
    labels = torch.cat(
        [
            torch.full((len(files),), index, dtype=torch.int64)
            for index, files in enumerate(per_class)
        ]
    )
    # One (N, 32, 32, 3) array, then a single permute to the (N, 3, 32, 32) layout models take.
    images = (
        torch.from_numpy(np.stack([_decode(p) for p in paths])).permute(0, 3, 1, 2).contiguous()
    )
    return TensorDataset(images, labels)


class CifarDownloadError(CifarFolderError):
    """Downloading CIFAR-10 with torchvision failed (no network, a broken or cut-off file)."""


def download_cifar10(root: str | os.PathLike[str]) -> tuple[TensorDataset, TensorDataset]:
    """The original CIFAR-10 through torchvision, as ``(train, test)`` like :func:`load_cifar10_folder`.

    torchvision downloads its 163 MB archive into ``root`` once (checking its MD5) and
    reads it from there afterwards. These are the original, losslessly stored images, not
    this site's JPEG copy. A failed download raises :class:`CifarDownloadError` (one line)
    and removes the folders it created, so nothing half-written is left behind.
    """
    import urllib.error

    from torchvision.datasets import CIFAR10

    root = Path(root)
    created = next((p for p in reversed([root, *root.parents]) if not p.exists()), None)
    try:
        splits = [CIFAR10(str(root), train=train, download=True) for train in (True, False)]
    except (OSError, RuntimeError, urllib.error.URLError) as err:
        if created is not None:
            import shutil

            shutil.rmtree(created, ignore_errors=True)
        reason = getattr(err, "reason", None) or err
        raise CifarDownloadError(
            f"{root}: downloading CIFAR-10 with torchvision failed ({reason}); "
            "without a network, extract cifar10-jpeg.tar.xz and pass its folder with --data"
        ) from None
    return tuple(
        TensorDataset(
            torch.from_numpy(split.data).permute(0, 3, 1, 2).contiguous(),
            torch.tensor(split.targets, dtype=torch.int64),
        )
        for split in splits
    )


def _fixture_image(label: int, generator: torch.Generator) -> torch.Tensor:
    """A 32x32 RGB image whose colour and stripe direction depend on the class, plus noise."""
    colour = torch.tensor(
        [(label * 37) % 256, (label * 91 + 60) % 256, (label * 151 + 120) % 256],
        dtype=torch.float32,
    ).view(3, 1, 1)
    ramp = torch.arange(32, dtype=torch.float32)
    stripes = ((ramp.view(1, 32) if label % 2 else ramp.view(32, 1)) // 4 % 2) * 60
    noise = torch.randint(-25, 26, (3, 32, 32), generator=generator).float()
    return (colour * 0.7 + stripes + noise).clamp(0, 255).to(torch.uint8)


def make_fixture(root: str | os.PathLike[str], per_class: int = 2, seed: int = 0) -> Path:
    """Write a tiny deterministic fake CIFAR-10 (``per_class`` JPEGs per class and split) at ``root``.

    The layout is the real one (``train/`` and ``test/``, ten class folders) and each
    class has its own colour and stripe direction, so a model can learn it. ``root``
    must not exist yet or be empty: nothing is overwritten. Returns ``root`` as a Path.
    """
    from PIL import Image

    if per_class < 1:
        raise ValueError(f"per_class={per_class}: expected at least 1")
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise FileExistsError(
            f"{root}: exists and is not an empty folder; make_fixture overwrites nothing"
        )
    generator = torch.Generator().manual_seed(seed)
    for split in SPLITS:
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(per_class):
                image = _fixture_image(label, generator)
                pixels = image.permute(1, 2, 0).numpy()
                Image.fromarray(pixels).save(folder / f"{index:04d}.jpg", quality=75)
    return root
