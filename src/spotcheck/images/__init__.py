"""Upload hygiene: file-name rules and image sanitising."""

from spotcheck.images.names import MAX_FILE_NAME_LENGTH, InvalidFileNameError, validate_file_name
from spotcheck.images.sanitize import (
    ACCEPTED_FORMATS,
    CleanImage,
    CorruptImageError,
    ImageRejectedError,
    ImageTooLargeError,
    UnsupportedMediaError,
    sanitize_image,
)

__all__ = [
    "ACCEPTED_FORMATS",
    "MAX_FILE_NAME_LENGTH",
    "CleanImage",
    "CorruptImageError",
    "ImageRejectedError",
    "ImageTooLargeError",
    "InvalidFileNameError",
    "UnsupportedMediaError",
    "sanitize_image",
    "validate_file_name",
]
