"""A prediction's heatmap laid back onto the photo it came from, as a greyscale image."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from spotcheck.classifier.base import Heatmap
from spotcheck.classifier.preprocess import _crop_box

__all__ = ["heatmap_image", "heatmap_overlay", "heatmap_png", "upsample"]


def upsample(weights: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The (h, w) weights stretched to ``size`` (width, height) by bilinear interpolation, as float32."""
    small = Image.fromarray(np.asarray(weights, dtype=np.float32))
    return np.asarray(small.resize(size, Image.Resampling.BILINEAR))


def heatmap_image(heatmap: Heatmap, size: tuple[int, int]) -> Image.Image:
    """The map as an 8-bit greyscale image of ``size`` (the photo's width
    and height as read, upright), undoing the input's fit: 255 where the model saw the most weight toward
    "closer look", 0 where none, and 0 outside the part of the photo the model was shown.

    Scaled per photo (its peak is 255), so brightness compares places within one photo, not photos.
    """
    width, height = size
    spec, weights = heatmap.fit, heatmap.weights
    if spec.fit == "crop":
        turned = (height > width) != (spec.height > spec.width) and height != width
        seen_width, seen_height = (height, width) if turned else (width, height)
        left, top, right, bottom = _crop_box(seen_width, seen_height, spec.width / spec.height)
        canvas = np.zeros((seen_height, seen_width), dtype=np.float32)
        canvas[top:bottom, left:right] = upsample(weights, (right - left, bottom - top))
        full = np.rot90(canvas, k=-1) if turned else canvas  # undoes the model's quarter turn counter-clockwise
    else:
        full = upsample(weights, (width, height))
    peak = float(full.max()) if full.size else 0.0
    scaled = full / peak if peak > 0 else np.zeros_like(full)
    return Image.fromarray(np.clip(np.rint(scaled * 255.0), 0, 255).astype(np.uint8))


def heatmap_png(heatmap: Heatmap, size: tuple[int, int]) -> bytes:
    """``heatmap_image`` encoded as PNG."""
    buffer = io.BytesIO()
    heatmap_image(heatmap, size).save(buffer, format="PNG")
    return buffer.getvalue()


def heatmap_overlay(photo: Image.Image, heatmap: Image.Image) -> Image.Image:
    """The photo with its greyscale heatmap (of the same size) laid over it in red, for people to read."""
    red = Image.new("RGB", photo.size, (255, 40, 0))
    return Image.composite(red, photo.convert("RGB"), heatmap.point(lambda v: int(v * 0.6)))
