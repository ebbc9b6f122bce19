"""A decode stays within the bytes per pixel the README documents (5.5), measured as peak RSS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

DOCUMENTED_BYTES_PER_PIXEL = 5.5
# VmHWM, the process's peak resident memory (getrusage's ru_maxrss also counts the parent's before
# exec). Every import is warmed up on a small image first.
_MEASURE = """
import sys
from pathlib import Path
from spotcheck.images import sanitize_image

def peak():
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024

data = Path(sys.argv[1]).read_bytes()
sanitize_image(Path(sys.argv[2]).read_bytes(), max_pixels=40_000_000)
before = peak()
sanitize_image(data, max_pixels=40_000_000)
print(peak() - before)
"""


def test_16_bit_greyscale_png_decodes_within_the_documented_bytes_per_pixel(tmp_path: Path) -> None:
    width, height = 4000, 3000
    ramp = np.tile(np.linspace(0, 65535, width).astype(np.uint16), (height, 1))
    Image.fromarray(ramp).save(tmp_path / "wide.png")
    Image.fromarray(ramp[:200, :200]).save(tmp_path / "small.png")
    measure = [sys.executable, "-c", _MEASURE, str(tmp_path / "wide.png"), str(tmp_path / "small.png")]
    peak = int(subprocess.run(measure, check=True, capture_output=True, text=True).stdout)
    assert peak / (width * height) <= DOCUMENTED_BYTES_PER_PIXEL
