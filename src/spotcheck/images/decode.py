"""Decode no more pixels than the stored copy needs, and notice when data is missing.

Memory is what this module is about. A 116 KB PNG can unpack to 40 megapixels; decoding it
whole and converting it costs about 4 bytes a pixel (Pillow keeps RGB as 4 bytes a pixel), so
each decode is bounded by ``max_pixels`` and the caller bounds how many run at once. JPEGs are
scaled inside the decoder (``draft``) so a 40 MP photo costs a quarter or less of that.
"""

from __future__ import annotations

import io
import math
import struct
import warnings
from pathlib import Path

import simplejpeg
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from spotcheck.images.errors import CorruptImageError, ImageTooLargeError, ImageTooSmallError
from spotcheck.images.formats import ACCEPTED_FORMATS
from spotcheck.images.modes import flatten_to_rgb, to_resizable

__all__ = [
    "DECODER_ERRORS",
    "check_jpeg_complete",
    "decode_for_model",
    "decode_plain_jpeg_for_model",
    "decoded_to_fit",
    "open_checked",
]

register_heif_opener()

# What decoders raise on hostile input. pillow-heif raises RuntimeError on corrupt HEIC; Pillow
# raises OSError, SyntaxError, ValueError, EOFError or struct.error depending on the plugin.
DECODER_ERRORS: tuple[type[BaseException], ...] = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    RuntimeError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
)


def _damaged(mime: str) -> CorruptImageError:
    return CorruptImageError(
        f"The image is damaged or incomplete and cannot be read as {mime.removeprefix('image/').upper()}."
    )


def open_checked(data: bytes, mime: str, *, max_pixels: int, min_side: int) -> Image.Image:
    """Open (header only) as one of ``mime``'s formats and check its size before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS[mime])
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLargeError(
            f"The image has too many pixels to analyse safely; at most {max_pixels:,} pixels are accepted."
        ) from None
    except DECODER_ERRORS:
        raise _damaged(mime) from None
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels ({width * height:,}); at most {max_pixels:,} pixels are accepted."
        )
    if min(width, height) < min_side:
        raise ImageTooSmallError(
            f"The image is {width}x{height} pixels; its shorter side must be at least {min_side} pixels."
        )
    return image


def check_jpeg_complete(data: bytes) -> None:
    """Refuse a JPEG whose entropy-coded data ends early.

    libjpeg fills the missing part with grey and only warns, and Pillow ignores the warning (a
    3.7 KB file claiming 6000x6000 decoded "fine"). simplejpeg turns the warning into an error;
    decoding at 1/8 scale reads every byte but costs 1/64 of the pixels.
    """
    try:
        colorspace = simplejpeg.decode_jpeg_header(data)[2]
        target = "CMYK" if colorspace in ("CMYK", "YCCK") else "GRAY"
        simplejpeg.decode_jpeg(data, colorspace=target, min_height=1, min_width=1, strict=True)
    except ValueError as exc:
        # Other recoverable warnings (extraneous bytes before a marker, common in camera files)
        # are harmless; only data that stops early means part of the picture was never sent.
        if "premature end" in str(exc).lower():
            raise _damaged("image/jpeg") from None


def _dct_scale(width: int, height: int, at_least: tuple[int, int]) -> int:
    """The DCT scale (1, 2, 4, 8) Pillow's ``draft`` picks to keep ``at_least`` (width, height)."""
    fits = min(width // at_least[0], height // at_least[1])
    return next(scale for scale in (8, 4, 2, 1) if fits >= scale or scale == 1)


def decode_plain_jpeg_for_model(data: bytes, *, at_least: tuple[int, int]) -> Image.Image | None:
    """An upright plain JPEG (greyscale or YCbCr, no EXIF turn) as ``decode_for_model`` decodes it, in one
    strict pass that is also ``check_jpeg_complete``'s check.

    The same libjpeg-turbo decode at the same DCT scale (ISLOW, fancy upsampling) gives the same
    pixels; data that ends early raises CorruptImageError. None where libjpeg warned of anything else
    (extraneous bytes, a bad Huffman code; ``decode_for_model`` reads such a file leniently) and for
    another colour space (checked as ``check_jpeg_complete`` checks it).
    """
    try:
        height, width, colorspace, _ = simplejpeg.decode_jpeg_header(data)
        if colorspace not in ("YCbCr", "Gray"):
            check_jpeg_complete(data)
            return None
        scale = _dct_scale(width, height, at_least)
        size = (-(-width // scale), -(-height // scale))
        pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", min_width=size[0], min_height=size[1], strict=True)
    except ValueError as exc:
        if "premature end" in str(exc).lower():
            raise _damaged("image/jpeg") from None
        return None
    if pixels.shape != (size[1], size[0], 3):
        return None  # another scale than Pillow's: leave the decode to decode_for_model
    return Image.fromarray(pixels, mode="RGB")


def _reduced(image: Image.Image, *, max_side: int) -> Image.Image:
    """Downscale so the long side is at most ``max_side``: integer box reduce first, Lanczos to finish."""
    width, height = image.size
    long_side = max(width, height)
    if long_side <= max_side:
        return image
    scale = max_side / long_side
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    factor = long_side // (2 * max_side)  # keep at least twice the target for Lanczos to work on
    if factor >= 2:
        image = image.reduce(factor)
    return image.resize(target, Image.Resampling.LANCZOS)


def decoded_to_fit(image: Image.Image, mime: str, *, max_side: int) -> Image.Image:
    """Decode ``image`` (as opened by open_checked) scaled so its long side is at most ``max_side``."""
    width, height = image.size
    if image.format in ("JPEG", "MPO") and max(width, height) > max_side:
        scale = max_side / max(width, height)
        image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
    try:
        image.load()
        return _reduced(to_resizable(image), max_side=max_side)
    except DECODER_ERRORS:
        raise _damaged(mime) from None


def decode_for_model(source: bytes | Path, *, at_least: tuple[int, int]) -> Image.Image:
    """A photo upright (by its EXIF orientation) in 8-bit RGB, for the photo gate and the model.

    A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that still holds ``at_least``
    (width, height) pixels: twice the model's input is plenty for the gate's measures (taken at
    200 px) and the model's resize, and a 2048x1536 photo then decodes at 512x384, several times
    faster. ``spotcheck classify`` and the workers read photos here, so both judge the same pixels.
    Raises what the decoders raise (DECODER_ERRORS, Image.DecompressionBombError).
    """
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
        image.draft("RGB", at_least)
        image.load()
        return flatten_to_rgb(to_resizable(ImageOps.exif_transpose(image)))
