"""Turn untrusted upload bytes into a clean JPEG, or say precisely why not."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from PIL import ExifTags, Image

from spotcheck.images.decode import DECODER_ERRORS, check_jpeg_complete, decoded_to_fit, open_checked
from spotcheck.images.errors import CorruptImageError
from spotcheck.images.formats import sniff
from spotcheck.images.modes import flatten_to_rgb

__all__ = ["MAX_STORED_SIDE", "MIN_SIDE", "CleanImage", "ImageSanitizer", "sanitize_image"]

MAX_STORED_SIDE = 2048  # long side of the stored copy: far more than the model's input, enough to look at
MIN_SIDE = 96  # shorter side below this holds too little of a lesion to judge
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
    width: int
    height: int


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
    bare = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    bare.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return out.getvalue()


class ImageSanitizer:
    """Decodes uploads with at most ``max_concurrent`` decodes at once, so peak memory has a bound."""

    def __init__(
        self,
        *,
        max_pixels: int,
        max_concurrent: int,
        max_side: int = MAX_STORED_SIDE,
        min_side: int = MIN_SIDE,
    ) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, not {max_concurrent}")
        self.max_pixels = max_pixels
        self.max_side = max_side
        self.min_side = min_side
        self._slots = threading.BoundedSemaphore(max_concurrent)

    def clean(self, data: bytes) -> CleanImage:
        """Check, decode (scaled), turn upright by EXIF, drop all metadata and re-encode as JPEG."""
        mime = sniff(data)
        image = open_checked(data, mime, max_pixels=self.max_pixels, min_side=self.min_side)
        with self._slots, image:
            if mime == "image/jpeg":
                check_jpeg_complete(data)
            orientation = _orientation(image)
            try:
                upright = flatten_to_rgb(decoded_to_fit(image, mime, max_side=self.max_side))
                if orientation in _UPRIGHT:
                    upright = upright.transpose(_UPRIGHT[orientation])
                jpeg = _pixels_only(upright)
            except CorruptImageError:
                raise
            except DECODER_ERRORS:
                raise CorruptImageError("The image is damaged or incomplete and cannot be read.") from None
        return CleanImage(jpeg=jpeg, width=upright.width, height=upright.height)


def sanitize_image(data: bytes, *, max_pixels: int) -> CleanImage:
    """One upload, cleaned outside any shared concurrency bound (tools and tests)."""
    return ImageSanitizer(max_pixels=max_pixels, max_concurrent=1).clean(data)
