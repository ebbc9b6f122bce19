"""Which formats SpotCheck accepts, judged by content (never by name or Content-Type)."""

from __future__ import annotations

import filetype

from spotcheck.images.errors import UnsupportedMediaError

__all__ = ["ACCEPTED_FORMATS", "HUMAN_FORMATS", "sniff"]

# Sniffed MIME type -> Pillow format names that may decode it. Phone cameras often write MPO
# (a JPEG with a second, depth or preview, picture appended). AVIF is not listed: the README
# promises JPEG, PNG, WebP and HEIC, and corrupt AVIF files made the HEIF decoder raise.
ACCEPTED_FORMATS: dict[str, tuple[str, ...]] = {
    "image/jpeg": ("JPEG", "MPO"),
    "image/png": ("PNG",),
    "image/apng": ("PNG",),  # an animated PNG: its first frame, as with an animated WebP
    "image/webp": ("WEBP",),
    "image/heic": ("HEIF",),
    "image/heif": ("HEIF",),
}
HUMAN_FORMATS = "JPEG, PNG, WebP or HEIC"


def sniff(data: bytes) -> str:
    """The MIME type of an accepted format that ``data`` starts like; UnsupportedMediaError otherwise."""
    if not data:
        raise UnsupportedMediaError(f"The upload is empty. Send a {HUMAN_FORMATS} image.")
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind else None
    if mime not in ACCEPTED_FORMATS:
        found = f"looks like {mime}" if mime else "is not a recognisable image"
        raise UnsupportedMediaError(f"The upload {found}. Send a {HUMAN_FORMATS} image.")
    return str(mime)
