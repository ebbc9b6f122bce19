"""Typed reads of the images table: every package reads image rows here (``ImageRecords`` writes them).

Rows come back as ``ImageRow`` and ``ImageSummary``: the status, label and refusal as their enums,
times in UTC whatever the database hands back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from spotcheck.classifier.labels import Classification
from spotcheck.clock import as_utc
from spotcheck.db.tables import ImageStatus, images
from spotcheck.photocheck.reasons import RefusalReason

__all__ = [
    "ImageRow",
    "ImageSummary",
    "count_images",
    "every_image",
    "find_image",
    "find_image_at",
    "images_of",
    "recorded_object_keys",
]


@dataclass(frozen=True, slots=True)
class ImageSummary:
    """One upload as its owner knows it: the current upload's status and, once analysed, its label."""

    file_name: str
    upload_id: str
    status: ImageStatus
    size: int
    uploaded_at: datetime
    # A pending upload has none of these yet.
    classification: Classification | None = None
    malignant_probability: float | None = None
    model_version: str | None = None
    classified_at: datetime | None = None
    error: str | None = None
    refusal: RefusalReason | None = None
    spot_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImageRow:
    """A whole row: whose image it is and the key its upload is stored under, beside its summary."""

    owner_id: str
    object_key: str
    summary: ImageSummary


def _image_row(row: Row[Any]) -> ImageRow:
    summary = ImageSummary(
        file_name=row.file_name,
        upload_id=row.upload_id,
        status=ImageStatus(row.status),
        size=row.size,
        uploaded_at=as_utc(row.uploaded_at),
        classification=Classification(row.classification) if row.classification else None,
        malignant_probability=row.malignant_probability,
        model_version=row.model_version,
        classified_at=as_utc(row.classified_at) if row.classified_at else None,
        error=row.error,
        refusal=RefusalReason(row.refusal) if row.refusal else None,
        spot_id=row.spot_id,
    )
    return ImageRow(owner_id=row.owner_id, object_key=row.object_key, summary=summary)


def find_image(conn: Connection, *, owner_id: str, file_name: str) -> ImageRow | None:
    """The row of ``file_name`` (already normalised) among the owner's images, or None."""
    found = conn.execute(select(images).where(images.c.owner_id == owner_id, images.c.file_name == file_name))
    row = found.first()
    return None if row is None else _image_row(row)


def find_image_at(conn: Connection, object_key: str) -> ImageRow | None:
    """The row whose upload is stored under ``object_key``, or None."""
    row = conn.execute(select(images).where(images.c.object_key == object_key)).first()
    return None if row is None else _image_row(row)


def images_of(
    conn: Connection,
    *,
    owner_id: str,
    spot_id: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[ImageSummary]:
    """The owner's images (only those filed under ``spot_id`` when one is given), by upload time, then name."""
    query = select(images).where(images.c.owner_id == owner_id)
    if spot_id is not None:
        query = query.where(images.c.spot_id == spot_id)
    uploaded = images.c.uploaded_at.desc() if newest_first else images.c.uploaded_at
    query = query.order_by(uploaded, images.c.file_name)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [_image_row(row).summary for row in conn.execute(query)]


def count_images(conn: Connection, *, owner_id: str) -> int:
    return int(conn.execute(select(func.count()).select_from(images).where(images.c.owner_id == owner_id)).scalar_one())


def every_image(conn: Connection) -> list[ImageRow]:
    """Every row of every owner (for the repair after a crash)."""
    return [_image_row(row) for row in conn.execute(select(images))]


def recorded_object_keys(conn: Connection) -> set[str]:
    """The keys that some row names."""
    return set(conn.execute(select(images.c.object_key)).scalars())
