"""The weights PyTorch Primer publishes, through one front door.

Each published model is two files in ``torchprimer/weights/``: ``<name>.pt`` (a
``state_dict``) and ``<name>.json`` (its SHA-256, architecture and how it was trained).
:func:`load_pretrained` checks the hash before ``torch.load(..., weights_only=True)``
runs, rebuilds the architecture, loads the weights and returns the model in eval mode,
with the sidecar in ``model.checkpoint_info``. ``hubconf.py`` entries are one-liners over
:func:`hub_model`; pages and examples call :func:`load_pretrained` directly.

>>> from torchprimer.pretrained import PUBLISHED, load_pretrained
>>> PUBLISHED
('cifar10_resnet_small', 'cifar10_baseline_cnn', 'digits_cnn')
>>> model = load_pretrained("digits_cnn")
>>> type(model).__name__, model.training, model.checkpoint_info["arch"]
('DigitsCNN', False, 'DigitsCNN')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

#: The folder the published weights live in, inside the installed package.
WEIGHTS_DIR = Path(__file__).resolve().with_name("weights")
#: Every published model, by the name of its files.
PUBLISHED = ("cifar10_resnet_small", "cifar10_baseline_cnn", "digits_cnn")


def weights_path(name: str, *, root: str | Path | None = None) -> Path:
    """``<root>/<name>.pt`` for a published ``name`` (``root``: :data:`WEIGHTS_DIR`); ValueError for any other."""
    if name not in PUBLISHED:
        raise ValueError(f"no published weights named {name!r}; published: {', '.join(PUBLISHED)}")
    return Path(WEIGHTS_DIR if root is None else root) / f"{name}.pt"


def load_pretrained(
    name: str, *, map_location: str = "cpu", root: str | Path | None = None
) -> nn.Module:
    """The published model ``name``, hash-checked, in eval mode, sidecar in ``checkpoint_info``.

    ``root`` reads the files from another folder (a copy being checked, say).
    """
    from torchprimer.checkpoint import load_model, read_sidecar

    path = weights_path(name, root=root)
    model = load_model(path, map_location=map_location)
    model.checkpoint_info = read_sidecar(path)
    return model


def hub_model(arch: str, name: str, pretrained: bool, kwargs: dict[str, Any]) -> nn.Module:
    """What a ``hubconf.py`` entry returns: the published ``name`` or a fresh ``arch(**kwargs)``."""
    from torchprimer.models import build

    if not pretrained:
        return build(arch, **kwargs)
    if kwargs:
        raise ValueError(
            f"pretrained=True builds the model the weights were trained as; drop {sorted(kwargs)}"
        )
    return load_pretrained(name)
