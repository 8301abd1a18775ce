"""Is a committed figure the one its page draws? Compared as pictures, not as bytes.

PNG bytes carry encoder details; what matters is the picture. Two images match when
they have the same size and at most a sliver of pixels differ visibly (anti-aliasing
noise), which a stale or hand-edited figure never does.

>>> import io
>>> from PIL import Image
>>> def png(colour):
...     buffer = io.BytesIO()
...     Image.new("RGB", (20, 10), colour).save(buffer, "PNG")
...     return buffer.getvalue()
>>> import tempfile, pathlib
>>> committed = pathlib.Path(tempfile.mkdtemp()) / "fig.png"
>>> _ = committed.write_bytes(png("white"))
>>> compare_figure(committed, png("white")) is None
True
>>> compare_figure(committed, png("black"))
'100.0% of its pixels differ'
"""

from __future__ import annotations

import io
from pathlib import Path

#: A pixel differs visibly when a channel moves by more than this (of 255) ...
PIXEL_TOLERANCE = 24
#: ... and a figure differs when more than this fraction of its pixels do.
AREA_TOLERANCE = 0.002


def compare_figure(committed: Path, made: bytes) -> str | None:
    """``None`` if the picture in ``made`` matches the committed file, else why not, in words."""
    import numpy as np
    from PIL import Image

    with Image.open(committed) as a, Image.open(io.BytesIO(made)) as b:
        if a.size != b.size:
            return f"size {b.size[0]}x{b.size[1]} drawn, {a.size[0]}x{a.size[1]} committed"
        x = np.asarray(a.convert("RGBA"), dtype=np.int16)
        y = np.asarray(b.convert("RGBA"), dtype=np.int16)
    differs = (np.abs(x - y).max(axis=2) > PIXEL_TOLERANCE).mean()
    return f"{100 * differs:.1f}% of its pixels differ" if differs > AREA_TOLERANCE else None
