"""A prediction's heatmap laid back onto the photo it came from, as a greyscale image."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from spotcheck.classifier.base import Heatmap
from spotcheck.classifier.preprocess import _crop_box

__all__ = ["heatmap_image", "heatmap_png"]


def heatmap_image(heatmap: Heatmap, size: tuple[int, int]) -> Image.Image:
    """The map as an 8-bit greyscale image of ``size`` (the photo's width
    and height as read, upright), undoing the input's fit: 255 where the model saw the most weight toward
    "closer look", 0 where none, and 0 outside the part of the photo the model was shown.

    Scaled per photo (its peak is 255), so brightness compares places within one photo, not photos.
    """
    width, height = size
    spec, weights = heatmap.fit, heatmap.weights
    peak = float(weights.max()) if weights.size else 0.0
    scaled = np.asarray(weights, dtype=np.float32) / peak if peak > 0 else np.zeros(weights.shape, np.float32)
    small = Image.fromarray(scaled)
    if spec.fit == "crop":
        turned = (height > width) != (spec.height > spec.width) and height != width
        seen_width, seen_height = (height, width) if turned else (width, height)
        left, top, right, bottom = _crop_box(seen_width, seen_height, spec.width / spec.height)
        canvas = Image.new("F", (seen_width, seen_height), 0.0)
        canvas.paste(small.resize((right - left, bottom - top), Image.Resampling.BILINEAR), (left, top))
        full = canvas.transpose(Image.Transpose.ROTATE_270) if turned else canvas
    else:
        full = small.resize((width, height), Image.Resampling.BILINEAR)
    grey = np.clip(np.rint(np.asarray(full) * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(grey)


def heatmap_png(heatmap: Heatmap, size: tuple[int, int]) -> bytes:
    """``heatmap_image`` encoded as PNG."""
    buffer = io.BytesIO()
    heatmap_image(heatmap, size).save(buffer, format="PNG")
    return buffer.getvalue()
