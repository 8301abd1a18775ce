"""Writing and checking files safely: one hasher and one atomic writer for the whole package.

Checkpoints, published weights and the shipped data files all rely on these two: a file
is written to a temporary name beside its target and renamed into place (so a crash never
leaves half a file, and readers see the old file or the new one), and a file is trusted
only after its SHA-256 matches the one recorded for it.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
>>> atomic_write(path, b"hello\\n")
>>> sha256_file(path)[:16]
'5891b5b522d5df08'
>>> try:
...     atomic_write(path, b"again\\n", overwrite=False)
... except FileExistsError as err:
...     print(str(err).split(": ", 1)[1])
exists; pass overwrite=True to replace it
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes | Callable[[BinaryIO], object],
    *,
    overwrite: bool = True,
) -> None:
    """Write ``data`` (bytes, or a function that writes to a binary file) to ``path`` all at once.

    The bytes go to a temporary file beside ``path``, are flushed to disk, and the file is
    renamed over ``path`` (atomic on one filesystem). The file gets the mode a plain
    ``open()`` would give it. With ``overwrite=False`` an existing ``path`` is an error.
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path}: exists; pass overwrite=True to replace it")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)  # mkstemp makes the file private (0600): give it open()'s mode
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
