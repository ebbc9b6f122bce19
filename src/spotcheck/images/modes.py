"""Bring any decoded pixel mode to plain 8-bit RGB without silent damage.

Pillow's own ``convert("RGB")`` clips wide modes: a 16-bit greyscale PNG (``I;16``) becomes pure
white. Wide modes are scaled here instead, transparency is laid on white, and everything else
goes through Pillow's conversions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["flatten_to_rgb", "to_resizable"]

# Modes that Image.reduce and Image.resize handle and that hold no more than 8 bits a channel.
_RESIZABLE = frozenset({"L", "LA", "RGB", "RGBA"})
_WHITE = (255, 255, 255)
_STRIP_ROWS = 256


def _high_bytes(image: Image.Image) -> Image.Image:
    """``I;16*`` to ``L``: the high byte of each pixel, read a strip of rows at a time.

    1 byte a pixel for the result on top of Pillow's own 2; whole-image ``tobytes`` or numpy
    conversions cost 6 to 10 more (Pillow joins the raw bytes from chunks).
    """
    width, height = image.size
    high = 0 if image.mode == "I;16B" else 1
    grey = np.empty((height, width), dtype=np.uint8)
    for top in range(0, height, _STRIP_ROWS):
        bottom = min(height, top + _STRIP_ROWS)
        raw = np.frombuffer(image.crop((0, top, width, bottom)).tobytes(), dtype=np.uint8)
        grey[top:bottom] = raw[high::2].reshape(bottom - top, width)
    return Image.fromarray(grey, mode="L")


def _wide_to_l(image: Image.Image) -> Image.Image:
    """``I;16*``, ``I`` and ``F`` to ``L``, scaled by the range the mode can hold (or, failing that, the data)."""
    if image.mode.startswith("I;16"):
        return _high_bytes(image)
    pixels = np.asarray(image)
    values = pixels.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if image.mode == "F" and low >= 0.0 and high <= 1.0:
        values = values * 255.0  # a float image of 0..1
    elif low < 0.0 or high > 255.0:
        top = 65535.0 if low >= 0.0 and high <= 65535.0 else high
        bottom = 0.0 if top == 65535.0 else low
        values = (values - bottom) * (255.0 / max(top - bottom, 1e-12))
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")


def to_resizable(image: Image.Image) -> Image.Image:
    """The same picture in L, LA, RGB or RGBA: modes that can be reduced and resized without loss of range."""
    mode = image.mode
    if mode in _RESIZABLE:
        return image
    if mode.startswith("I") or mode == "F":
        return _wide_to_l(image)
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        return image.convert("RGBA" if has_alpha else "RGB")
    if mode == "La":
        return image.convert("LA")
    if mode == "RGBa":
        return image.convert("RGBA")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX


def flatten_to_rgb(image: Image.Image) -> Image.Image:
    """L, LA, RGB or RGBA to RGB; transparent parts are laid on white."""
    if image.mode in ("LA", "RGBA"):
        background = Image.new("RGB", image.size, _WHITE)
        background.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        return background
    return image.convert("RGB") if image.mode != "RGB" else image
