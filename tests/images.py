"""Small image files made on the fly for tests."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["BLUE", "GREEN", "RED", "image_bytes"]

RED = (230, 30, 30)  # the tiny model calls this MALIGNANT
BLUE = (30, 30, 230)  # ... and this BENIGN
GREEN = (30, 230, 30)  # ... and the gated tiny model refuses this as not a lesion


def image_bytes(colour: tuple[int, int, int] = BLUE, *, size: tuple[int, int] = (128, 96), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()
