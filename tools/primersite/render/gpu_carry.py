"""What the GPU session carries to a lent GPU machine, and the archive it brings back.

Read by both sides of the session (:mod:`primersite.render.gpu_session` there,
:mod:`primersite.render.gpu_handoff` here). Standard library only.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from primersite import ROOT

CARRY = ROOT / ".gpu"
VENDOR = ROOT / ".vendor"
AIRBENCH = VENDOR / "cifar10-airbench" / "legacy" / "airbench94.py"
#: The Jupyter packages a render needs and the GPU machine's image lacks (their versions come
#: from requirements.lock). pyyaml and psutil are left out: the image has them, compiled.
WHEELS = (
    "asttokens attrs comm debugpy executing fastjsonschema ipykernel ipython "
    "ipython_pygments_lexers jedi jsonschema jsonschema-specifications jupyter_client "
    "jupyter_core jupytext markdown-it-py matplotlib-inline mdit-py-plugins mdurl nbclient "
    "nbformat nest-asyncio2 packaging parso pexpect platformdirs prompt_toolkit ptyprocess "
    "pure_eval Pygments python-dateutil pyzmq referencing rpds-py stack-data tornado "
    "traitlets typing_extensions tzdata wcwidth"
).split()
WHEEL_PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
#: The results come back as this archive, in parts: the device tool returns files of at most
#: 16 MiB each.
ARCHIVE = "gpu-session.tar.gz"
PART_BYTES = 15 * 2**20


def write_archive(stage: Path, out: Path, leave_out: set[str]) -> None:
    """``out/gpu-session.tar.gz`` of what ``stage`` holds (less ``leave_out``), split into
    ``.partN`` files when it is larger than :data:`PART_BYTES`."""
    archive = out / ARCHIVE
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(stage.iterdir()):
            if path.name not in leave_out:
                tar.add(path, arcname=path.name)
    data = archive.read_bytes()
    if len(data) > PART_BYTES:
        archive.unlink()
        for i in range(0, len(data), PART_BYTES):
            (out / f"{ARCHIVE}.part{i // PART_BYTES}").write_bytes(data[i : i + PART_BYTES])


def read_archive(results: Path, into: Path) -> Path:
    """Unpack the archive in ``results`` (whole, or its parts joined) into ``into/results``."""
    parts = sorted(results.glob(f"{ARCHIVE}.part*"), key=lambda p: int(p.name.rsplit("part", 1)[1]))
    data = b"".join(p.read_bytes() for p in parts) if parts else (results / ARCHIVE).read_bytes()
    packed = into / "results.tar.gz"
    packed.write_bytes(data)
    with tarfile.open(packed) as tar:
        tar.extractall(into / "results", filter="data")
    return into / "results"
