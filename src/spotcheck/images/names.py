"""Rules for the fileName a user gives an upload."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote_to_bytes

__all__ = [
    "MAX_FILE_NAME_BYTES",
    "MAX_FILE_NAME_LENGTH",
    "InvalidFileNameError",
    "check_utf8_path",
    "normalize_file_name",
    "validate_file_name",
]

MAX_FILE_NAME_LENGTH = 200
# S3-compatible stores that keep keys as paths (SeaweedFS) refuse a path segment over 255 bytes.
MAX_FILE_NAME_BYTES = 255


class InvalidFileNameError(ValueError):
    """The fileName breaks a rule; the message names it."""


def check_utf8_path(raw_path: bytes) -> None:
    """Refuse a percent-encoded request path whose bytes are not UTF-8.

    The server decodes such bytes to U+FFFD, so ``%ff.jpg`` and ``%fe.jpg`` would name one file;
    only the raw path still tells them apart.
    """
    decoded = unquote_to_bytes(raw_path)
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = decoded[exc.start : exc.end].hex(" ").upper()
        raise InvalidFileNameError(f"fileName must be UTF-8 text; byte {bad} (percent-encoded) is not UTF-8") from None


def normalize_file_name(name: str) -> str:
    """The NFC spelling: a name typed on macOS (NFD) and on Windows (NFC) is the same file."""
    return unicodedata.normalize("NFC", name)


def validate_file_name(name: str) -> str:
    """The NFC form of ``name`` if it keeps every rule; InvalidFileNameError naming the rule otherwise."""
    name = normalize_file_name(name)
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
    if "\ufffd" in name:
        raise InvalidFileNameError("fileName must not contain U+FFFD (the stand-in for bytes that are not UTF-8)")
    if name != name.strip():
        raise InvalidFileNameError("fileName must not begin or end with white space")
    return name
