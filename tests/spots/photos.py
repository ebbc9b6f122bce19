"""Synthetic photos of one spot for the measure's tests: a disc of a given colour and size on skin."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.gallery.rows import ImageSummary

__all__ = ["BLUE_GREY", "BROWN", "DARK_BROWN", "SIZE", "SKIN", "START", "lesion_photo", "photo"]

SKIN = (224, 182, 150)
BROWN = (120, 75, 50)
DARK_BROWN = (70, 40, 30)
BLUE_GREY = (60, 70, 110)

SIZE = 400  # px square; the measure's centre crop is its middle 240 px


def lesion_photo(
    *, radius: int, colour: tuple[int, int, int] = BROWN, background: tuple[int, int, int] = SKIN
) -> bytes:
    image = Image.new("RGB", (SIZE, SIZE), background)
    centre = SIZE // 2
    ImageDraw.Draw(image).ellipse((centre - radius, centre - radius, centre + radius, centre + radius), fill=colour)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


START = datetime(2026, 1, 1, tzinfo=UTC)


def photo(
    name: str,
    *,
    days: float = 0,
    probability: float | None = 0.1,
    status: ImageStatus = ImageStatus.DONE,
    threshold: float = 0.3,
) -> ImageSummary:
    """An ImageSummary as the gallery reads it back, uploaded ``days`` after START."""
    done = status is ImageStatus.DONE
    classification = None
    if done and probability is not None:
        classification = Classification.MALIGNANT if probability >= threshold else Classification.BENIGN
    return ImageSummary(
        file_name=name,
        status=status,
        size=1000,
        uploaded_at=START + timedelta(days=days),
        classification=classification,
        malignant_probability=probability if done else None,
        model_version="tiny" if done else None,
        classified_at=START + timedelta(days=days) if done else None,
        error=None,
        upload_id=f"upload-{name}",
    )
