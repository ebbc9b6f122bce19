"""Rules for the fileName a user gives an upload."""

from __future__ import annotations

import unicodedata

__all__ = ["MAX_FILE_NAME_LENGTH", "InvalidFileNameError", "validate_file_name"]

MAX_FILE_NAME_LENGTH = 200


class InvalidFileNameError(ValueError):
    """The fileName breaks a rule; the message names it."""


def validate_file_name(name: str) -> str:
    if not name or not name.strip():
        raise InvalidFileNameError("fileName must not be empty")
    if len(name) > MAX_FILE_NAME_LENGTH:
        raise InvalidFileNameError(
            f"fileName is {len(name)} characters long; at most {MAX_FILE_NAME_LENGTH} are allowed"
        )
    if "/" in name or "\\" in name:
        raise InvalidFileNameError("fileName must not contain path separators ('/' or '\\')")
    if ".." in name or name == ".":
        raise InvalidFileNameError("fileName must not contain '..' or be '.'")
    for char in name:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise InvalidFileNameError(f"fileName must not contain control characters (found U+{ord(char):04X})")
    if name != name.strip():
        raise InvalidFileNameError("fileName must not begin or end with white space")
    return name
