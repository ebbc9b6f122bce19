"""How the texts about a spot name its photos: by upload time, which a person sees on every page.

A fileName means nothing to someone who uploaded through the web page (it names each upload
itself), so a summary or a change says "the photo of 27 November 2026, 10:32 UTC" instead.
"""

from __future__ import annotations

from spotcheck.gallery.service import ImageSummary

__all__ = ["photo_in_words"]


def photo_in_words(image: ImageSummary, *, start: bool = False) -> str:
    """ "the photo of 27 November 2026, 10:32 UTC" ("The …" when ``start``s a sentence)."""
    at = image.uploaded_at
    words = f"the photo of {at.day} {at:%B %Y, %H:%M} UTC"
    return words[0].upper() + words[1:] if start else words
