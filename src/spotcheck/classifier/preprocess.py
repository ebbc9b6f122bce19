"""Turn a decoded image into the model's input, the same way in training and serving."""

from __future__ import annotations

import numpy as np
from PIL import Image

from spotcheck.classifier.metadata import InputSpec

__all__ = ["normalise", "resize_rgb"]


def _crop_box(width: int, height: int, aspect: float) -> tuple[int, int, int, int]:
    """The largest centred box of ``aspect`` (width / height) inside a width x height image."""
    if width / height > aspect:
        kept = max(1, round(height * aspect))
        left = (width - kept) // 2
        return left, 0, left + kept, height
    kept = max(1, round(width / aspect))
    top = (height - kept) // 2
    return 0, top, width, top + kept


def resize_rgb(image: Image.Image, spec: InputSpec) -> np.ndarray:
    """RGB uint8 array of shape (H, W, 3) at the model's input size, fitted as ``spec.fit`` says."""
    rgb = image.convert("RGB")
    if spec.fit == "crop":
        if (rgb.height > rgb.width) != (spec.height > spec.width) and rgb.height != rgb.width:
            rgb = rgb.transpose(Image.Transpose.ROTATE_90)
        box = _crop_box(rgb.width, rgb.height, spec.width / spec.height)
        if box != (0, 0, rgb.width, rgb.height):
            rgb = rgb.crop(box)
    if rgb.size != (spec.width, spec.height):
        rgb = rgb.resize((spec.width, spec.height), Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.uint8)


def normalise(batch: np.ndarray, spec: InputSpec) -> np.ndarray:
    """uint8 (N, H, W, 3) to float32 (N, 3, H, W), scaled and normalised as in training."""
    scaled = batch.astype(np.float32) / np.float32(255.0)
    pixels = (scaled - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
    return np.ascontiguousarray(pixels.transpose(0, 3, 1, 2), dtype=np.float32)
