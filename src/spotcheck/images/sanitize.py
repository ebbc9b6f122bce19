"""Turn untrusted upload bytes into a clean JPEG, or say precisely why not.

An ordinary upright JPEG no larger than the stored copy (what the web page and most phones send)
keeps its own bytes, less its metadata segments: no pixel is decoded and encoded again. Anything
else is decoded (scaled), turned upright and encoded afresh from its pixel values alone.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PIL import ExifTags, Image

from spotcheck.images.decode import (
    DECODER_ERRORS,
    check_jpeg_complete,
    decode_plain_jpeg_for_model,
    decoded_to_fit,
    open_checked,
)
from spotcheck.images.errors import CorruptImageError, DecodeTimeoutError, UnusualJpegError
from spotcheck.images.formats import sniff
from spotcheck.images.jpeg_markers import read_layout, without_metadata
from spotcheck.images.modes import flatten_to_rgb

__all__ = [
    "DECODE_BUDGET_SECONDS",
    "MAX_JPEG_SCANS",
    "MAX_STORED_SIDE",
    "MIN_SIDE",
    "CleanImage",
    "ImageSanitizer",
    "sanitize_image",
]

MAX_STORED_SIDE = 2048  # long side of the stored copy: far more than the model's input, enough to look at
MIN_SIDE = 96  # shorter side below this holds too little of a lesion to judge
# A progressive JPEG from a camera or an editor has about 10 scans (libjpeg's default script: 10).
# Each scan is a pass over the whole picture, so their number, not the file size, is what a decode
# costs: 40,000 empty scans in 1.3 MB held a decoder for 100 s.
MAX_JPEG_SCANS = 100
# The longest one upload's decoding may take before its slot is given to the next upload. With the
# scan and pixel limits a decode of an accepted image takes a few seconds at most on one core.
DECODE_BUDGET_SECONDS = 10.0
_T = TypeVar("_T")
_JPEG_QUALITY = 92
# EXIF orientation -> the transposition that turns the picture upright (as ImageOps.exif_transpose).
_UPRIGHT: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class CleanImage:
    jpeg: bytes
    # The stored copy decoded for the model, when ``clean`` was asked for it and could give it.
    decoded: Image.Image | None = None


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except DECODER_ERRORS:
        return 1  # unreadable EXIF: the picture as stored
    return value if isinstance(value, int) else 1


def _pixels_only(image: Image.Image) -> bytes:
    """Encode a fresh image built from the pixel values alone.

    Pillow's JPEG writer copies ``info`` entries of the image it saves (a JPEG COM comment, an
    ICC profile); a new image made from raw bytes has none, so EXIF, XMP, ICC, comments and PNG
    text chunks cannot reach the stored copy.
    """
    bare = Image.new("RGB", image.size)
    bare.paste(image)  # pixels only, without a tobytes() copy (twice the image while it is joined)
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _unusual_jpeg() -> UnusualJpegError:
    return UnusualJpegError(
        "This photo's file is built in an unusual way that SpotCheck will not read "
        f"(more than {MAX_JPEG_SCANS} scans). Save it again as an ordinary JPEG and upload that."
    )


class ImageSanitizer:
    """Decodes uploads with at most ``max_concurrent`` decodes at once, so peak memory has a bound.

    Each decode runs on a thread of its own, watched for ``budget_seconds``: one that runs over is
    answered with DecodeTimeoutError and its slot goes to the next upload. A thread cannot be
    stopped, so the abandoned decode finishes in the background; the scan and pixel limits, checked
    before any decode, keep that short.
    """

    def __init__(
        self,
        *,
        max_pixels: int,
        max_concurrent: int,
        max_side: int = MAX_STORED_SIDE,
        min_side: int = MIN_SIDE,
        budget_seconds: float = DECODE_BUDGET_SECONDS,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, not {max_concurrent}")
        self.max_pixels = max_pixels
        self.max_side = max_side
        self.min_side = min_side
        self.budget_seconds = budget_seconds
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def clean(self, data: bytes, *, decode_at: tuple[int, int] | None = None) -> CleanImage:
        """Check, then keep the bytes less metadata (an upright ordinary JPEG that fits) or decode
        (scaled), turn upright by EXIF, drop all metadata and re-encode as JPEG.

        ``decode_at``: a kept JPEG's completeness check is then its colour decode at the model's
        scale (``decode_for_model(jpeg, at_least=decode_at)``'s pixels), returned as ``decoded``.
        """
        mime = sniff(data)
        image = open_checked(data, mime, max_pixels=self.max_pixels, min_side=self.min_side)
        with image:
            layout = None
            if mime == "image/jpeg":
                layout = read_layout(data, max_scans=MAX_JPEG_SCANS)
                if layout.scans > MAX_JPEG_SCANS:
                    raise _unusual_jpeg()
            with self._slots:
                orientation = _orientation(image)
                fits = max(image.size) <= self.max_side and image.format == "JPEG"
                if layout is not None and layout.plain and fits and orientation == 1:
                    kept = without_metadata(data, layout)
                    if decode_at is None:
                        self._within_budget(lambda: check_jpeg_complete(data))
                        return CleanImage(jpeg=kept)
                    size = decode_at
                    return CleanImage(
                        jpeg=kept, decoded=self._within_budget(lambda: decode_plain_jpeg_for_model(kept, at_least=size))
                    )
                if mime == "image/jpeg":
                    self._within_budget(lambda: check_jpeg_complete(data))
                return self._within_budget(lambda: self._reencoded(image, mime, orientation))

    def _reencoded(self, image: Image.Image, mime: str, orientation: int) -> CleanImage:
        try:
            fitted = decoded_to_fit(image, mime, max_side=self.max_side)
            if fitted is not image:
                image.close()  # the full-size decode is no longer needed: free it before encoding
            upright = flatten_to_rgb(fitted)
            if orientation in _UPRIGHT:
                upright = upright.transpose(_UPRIGHT[orientation])
            jpeg = _pixels_only(upright)
        except CorruptImageError:
            raise
        except DECODER_ERRORS:
            raise CorruptImageError("The image is damaged or incomplete and cannot be read.") from None
        return CleanImage(jpeg=jpeg)

    def _within_budget(self, work: Callable[[], _T]) -> _T:
        """``work()`` on a thread of its own; DecodeTimeoutError once it has run ``budget_seconds``."""
        outcome: list[_T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                outcome.append(work())
            except BaseException as exc:  # handed to the waiting caller
                failure.append(exc)

        thread = threading.Thread(target=run, name="spotcheck-decode", daemon=True)
        thread.start()
        thread.join(self.budget_seconds)
        if thread.is_alive():
            raise DecodeTimeoutError(
                f"This image took longer than {self.budget_seconds:g} s to read, so SpotCheck stopped. "
                "Save it again as an ordinary JPEG (or send a smaller photo) and upload that."
            )
        if failure:
            raise failure[0]
        return outcome[0]


def sanitize_image(data: bytes, *, max_pixels: int) -> CleanImage:
    """One upload, cleaned outside any shared concurrency bound (tools and tests)."""
    return ImageSanitizer(max_pixels=max_pixels, max_concurrent=1).clean(data)
