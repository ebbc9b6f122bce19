"""Print what a history thumbnail costs: bytes of the stored image vs its 160 px rendition, and the
time to make one (once per image; later requests read it back from the store).

    PYTHONPATH=src python scripts/bench_thumbnail.py [photo.jpg ...]
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import numpy as np
from PIL import Image

from spotcheck.images import ImageSanitizer, render_thumbnail


def _phone_like(side: int) -> bytes:
    """A smooth, noisy picture the size of a stored phone photo (the sanitiser keeps 2048 px)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:side, 0 : side * 3 // 4]
    base = np.stack([(x + y) % 256, (x * 2) % 256, (y * 3) % 256], axis=-1).astype(np.float32)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=92)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", type=Path, nargs="*", help="photos to store and shrink (default: a synthetic one)")
    args = parser.parse_args()
    missing = [str(p) for p in args.photos if not p.is_file()]
    if missing:
        parser.error(f"no such photo: {', '.join(missing)}")
    sanitizer = ImageSanitizer(max_pixels=40_000_000, max_concurrent=1)
    sources = [(p.name, p.read_bytes()) for p in args.photos] or [("synthetic 2048 px", _phone_like(2048))]
    for name, data in sources:
        stored = sanitizer.clean(data).jpeg
        started = time.perf_counter()
        runs = 20
        for _ in range(runs):
            small = render_thumbnail(stored)
        per_call = (time.perf_counter() - started) / runs * 1000
        with Image.open(io.BytesIO(stored)) as full, Image.open(io.BytesIO(small)) as thumb:
            sizes = f"{full.size[0]}x{full.size[1]} -> {thumb.size[0]}x{thumb.size[1]}"
        kilobytes = f"stored {len(stored) / 1000:.1f} KB, thumbnail {len(small) / 1000:.1f} KB"
        print(f"{name}: {kilobytes} ({sizes}), {per_call:.1f} ms")


if __name__ == "__main__":
    main()
