"""An encoded photo, as a caller sends it, turned into the model's input exactly as `spotcheck classify` does."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from spotcheck.classifier.base import Refusal
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.images.decode import DECODER_ERRORS
from spotcheck.images.modes import flatten_to_rgb, to_resizable

__all__ = ["MAX_PHOTO_PIXELS", "UnreadablePhotoError", "prepare_photo", "read_photo"]

register_heif_opener()

# As SPOTCHECK_MAX_IMAGE_PIXELS's default: a photo larger than this is refused before it is decoded.
MAX_PHOTO_PIXELS = 40_000_000


class UnreadablePhotoError(ValueError):
    """Bytes that are no photo the model can take (not an image, damaged, or too large)."""


def prepare_photo(data: bytes, classifier: OnnxClassifier) -> np.ndarray | Refusal:
    """The photo upright, in 8-bit RGB, at the model's input size, or the photo gate's refusal of it."""
    return read_photo(data, classifier)[0]


def read_photo(data: bytes, classifier: OnnxClassifier) -> tuple[np.ndarray | Refusal, tuple[int, int]]:
    """``prepare_photo`` and the photo's (width, height) as read, upright (before a reduced decode)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PHOTO_PIXELS:
                    raise UnreadablePhotoError(
                        f"the photo has {image.width * image.height:,} pixels; at most {MAX_PHOTO_PIXELS:,} are taken"
                    )
                turned = image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8)
                size = (image.height, image.width) if turned else (image.width, image.height)
                # As `spotcheck classify`: a JPEG decodes at a scale still twice the model's input size.
                spec = classifier.metadata.input
                image.draft("RGB", (2 * spec.width, 2 * spec.height))
                image.load()
                return classifier.prepare(flatten_to_rgb(to_resizable(ImageOps.exif_transpose(image)))), size
    except UnreadablePhotoError:
        raise
    except UnidentifiedImageError:
        raise UnreadablePhotoError("the bytes are no JPEG, PNG, WebP or HEIC photo") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnreadablePhotoError(f"the photo has too many pixels: {exc}") from exc
    except DECODER_ERRORS as exc:
        raise UnreadablePhotoError(f"cannot read the photo as JPEG, PNG, WebP or HEIC: {exc}") from exc
