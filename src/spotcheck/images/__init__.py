"""Upload hygiene: file-name rules and image sanitising."""

from spotcheck.images.errors import (
    CorruptImageError,
    DecodersBusyError,
    DecodeTimeoutError,
    ImageRejectedError,
    ImageTooLargeError,
    ImageTooSmallError,
    UnsupportedMediaError,
    UnusualJpegError,
)
from spotcheck.images.formats import ACCEPTED_FORMATS
from spotcheck.images.names import (
    MAX_FILE_NAME_LENGTH,
    InvalidFileNameError,
    check_utf8_path,
    normalize_file_name,
    validate_file_name,
)
from spotcheck.images.sanitize import MAX_STORED_SIDE, MIN_SIDE, CleanImage, ImageSanitizer, sanitize_image
from spotcheck.images.thumbnail import THUMBNAIL_SIDE, render_thumbnail

__all__ = [
    "ACCEPTED_FORMATS",
    "MAX_FILE_NAME_LENGTH",
    "MAX_STORED_SIDE",
    "MIN_SIDE",
    "THUMBNAIL_SIDE",
    "CleanImage",
    "CorruptImageError",
    "DecodeTimeoutError",
    "DecodersBusyError",
    "ImageRejectedError",
    "ImageSanitizer",
    "ImageTooLargeError",
    "ImageTooSmallError",
    "InvalidFileNameError",
    "UnsupportedMediaError",
    "UnusualJpegError",
    "check_utf8_path",
    "normalize_file_name",
    "render_thumbnail",
    "sanitize_image",
    "validate_file_name",
]
