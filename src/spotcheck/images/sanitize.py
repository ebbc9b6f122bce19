"""Turn untrusted upload bytes into a clean JPEG, or say precisely why not."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

__all__ = [
    "ACCEPTED_FORMATS",
    "CleanImage",
    "CorruptImageError",
    "ImageRejectedError",
    "ImageTooLargeError",
    "UnsupportedMediaError",
    "register_heif_opener",
    "sanitize_image",
]

register_heif_opener()

# Sniffed MIME type -> Pillow format names that may decode it. Phone cameras often write MPO
# (a JPEG with a second, depth or preview, picture appended); Pillow reads AVIF natively.
ACCEPTED_FORMATS: dict[str, frozenset[str]] = {
    "image/jpeg": frozenset({"JPEG", "MPO"}),
    "image/png": frozenset({"PNG"}),
    "image/webp": frozenset({"WEBP"}),
    "image/heic": frozenset({"HEIF"}),
    "image/heif": frozenset({"HEIF"}),
    "image/avif": frozenset({"AVIF", "HEIF"}),
}
_HUMAN_FORMATS = "JPEG, PNG, WebP or HEIC"
_JPEG_QUALITY = 92


class ImageRejectedError(ValueError):
    """The upload cannot be stored; the message tells the user why."""


class UnsupportedMediaError(ImageRejectedError):
    """Not an image of an accepted format, judged by its content (HTTP 415)."""


class CorruptImageError(ImageRejectedError):
    """Looks like an accepted image but cannot be decoded completely (HTTP 422)."""


class ImageTooLargeError(ImageRejectedError):
    """Too many pixels: a decompression bomb or simply too big to analyse (HTTP 422)."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    jpeg: bytes
    width: int
    height: int
    source_format: str


def _sniff(data: bytes) -> str:
    if not data:
        raise UnsupportedMediaError(f"The upload is empty. Send a {_HUMAN_FORMATS} image.")
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind else None
    if mime not in ACCEPTED_FORMATS:
        found = f"looks like {mime}" if mime else "is not a recognisable image"
        raise UnsupportedMediaError(f"The upload {found}. Send a {_HUMAN_FORMATS} image.")
    return str(mime)


def sanitize_image(data: bytes, *, max_pixels: int) -> CleanImage:
    """Decode fully, apply EXIF orientation, drop all metadata (GPS included), re-encode as JPEG."""
    mime = _sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS[mime]:
                raise CorruptImageError(f"The file claims to be {mime} but does not decode as one.")
            width, height = image.size
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"The image is {width}x{height} pixels ({width * height:,}); "
                    f"at most {max_pixels:,} pixels are accepted."
                )
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
    except ImageRejectedError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(f"The image has too many pixels to analyse safely: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptImageError(f"The image is damaged or incomplete and cannot be read ({exc}).") from exc
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return CleanImage(jpeg=out.getvalue(), width=rgb.width, height=rgb.height, source_format=mime)
