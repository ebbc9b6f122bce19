"""Name the hardware a figure was measured on."""

from __future__ import annotations

import os
import platform
from pathlib import Path

__all__ = ["cpu_description", "cpu_model", "usable_cores"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_description() -> str:
    return f"{cpu_model()}, {os.cpu_count()} logical cores"


def usable_cores() -> int:
    """The logical cores this process may run on (its CPU affinity, which `taskset` and container
    cpusets narrow)."""
    return len(os.sched_getaffinity(0))
