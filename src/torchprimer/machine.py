"""What machine a run happens on, in words a reader can compare (weights metadata, stamps).

>>> from torchprimer.machine import cpu_model, device_name
>>> isinstance(cpu_model(), str) and cpu_model() != ""
True
>>> device_name("cpu").startswith("CPU: ")
True
"""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_name(device: str) -> str:
    """``"GPU: <name>"`` for a CUDA device, ``"CPU: <model>"`` otherwise."""
    import torch

    if str(device).startswith("cuda"):
        return f"GPU: {torch.cuda.get_device_name(torch.device(device))}"
    return f"CPU: {cpu_model()}"
