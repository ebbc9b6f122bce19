#!/usr/bin/env python
"""The photo gate's measures alone, and beside a thread that runs pure Python (as in a busy server).

    python scripts/bench_gate_beside_python.py [--n 20] [--images DIR]

Each NumPy step of ``measure_quality`` lets go of the GIL and must get it back; beside a thread
that holds it, each return waits up to the switch interval. Prints the mean wall and CPU time a
photo (512x384, as the server decodes a phone photo) alone, beside the thread, and beside it with
a 0.5 ms switch interval.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from spotcheck.hardware import cpu_model
from spotcheck.photocheck.quality import measure_quality

DEFAULT_IMAGES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "pad-ufes-20-partial" / "images"


def _time_a_photo(photos: Sequence[Image.Image]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    for photo in photos:
        measure_quality(photo)
    return 1000 * (time.perf_counter() - wall) / len(photos), 1000 * (time.thread_time() - cpu) / len(photos)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="photos (default 20)")
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="folder of lesion JPEGs")
    args = parser.parse_args(argv)
    sources = sorted(args.images.glob("*.jpg"))[: args.n]
    if not sources:
        parser.error(f"no JPEGs in {args.images}")
    photos = []
    for source in sources:
        with Image.open(source) as image:
            photos.append(image.convert("RGB").resize((512, 384)))
    print(f"hardware: {cpu_model()}, {os.cpu_count()} logical cores, {platform.platform()}")

    stop = threading.Event()

    def pure_python() -> None:
        while not stop.is_set():
            total = 0
            for i in range(10_000):
                total += i

    row = "{:29s}{:8.2f} {:8.2f}"
    print("measure_quality, a photo:      wall ms   CPU ms")
    print(row.format("alone", *_time_a_photo(photos)))
    busy = threading.Thread(target=pure_python, daemon=True)
    busy.start()
    print(row.format("beside a pure-Python thread", *_time_a_photo(photos)))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    print(row.format("  the same, switch 0.5 ms", *_time_a_photo(photos)))
    sys.setswitchinterval(interval)
    stop.set()
    busy.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
