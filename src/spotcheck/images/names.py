"""Rules for the fileName a user gives an upload."""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_FILE_NAME_BYTES", "MAX_FILE_NAME_LENGTH", "InvalidFileNameError", "validate_file_name"]

MAX_FILE_NAME_LENGTH = 200
# S3-compatible stores that keep keys as paths (SeaweedFS) refuse a path segment over 255 bytes.
MAX_FILE_NAME_BYTES = 255


class InvalidFileNameError(ValueError):
    """The fileName breaks a rule; the message names it."""


def validate_file_name(name: str) -> str:
    if not name or not name.strip():
        raise InvalidFileNameError("fileName must not be empty")
    if len(name) > MAX_FILE_NAME_LENGTH:
        raise InvalidFileNameError(
            f"fileName is {len(name)} characters long; at most {MAX_FILE_NAME_LENGTH} are allowed"
        )
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_FILE_NAME_BYTES:
        raise InvalidFileNameError(
            f"fileName is {size} bytes long in UTF-8; at most {MAX_FILE_NAME_BYTES} bytes are allowed"
        )
    if "/" in name or "\\" in name:
        raise InvalidFileNameError("fileName must not contain path separators ('/' or '\\')")
    if ".." in name or name == ".":
        raise InvalidFileNameError("fileName must not contain '..' or be '.'")
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            raise InvalidFileNameError(f"fileName must not contain control characters (found U+{ord(char):04X})")
    if name != name.strip():
        raise InvalidFileNameError("fileName must not begin or end with white space")
    return name
