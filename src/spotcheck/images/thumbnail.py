"""A small JPEG rendition of a stored image, for lists that show many at once."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["THUMBNAIL_SIDE", "render_thumbnail"]

THUMBNAIL_SIDE = 160  # long side in pixels: a 64 px list picture stays sharp on a 2x phone screen
_JPEG_QUALITY = 80


def render_thumbnail(jpeg: bytes, *, side: int = THUMBNAIL_SIDE) -> bytes:
    """The stored (already sanitised) JPEG scaled to fit a ``side`` x ``side`` box, as a JPEG."""
    with Image.open(io.BytesIO(jpeg)) as image:
        # draft() lets the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding: a 2048 px image
        # is decoded at 256 px instead of in full, then resized the rest of the way.
        image.draft("RGB", (side, side))
        small = image.convert("RGB")
        small.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    return out.getvalue()
