"""The relational schema: accounts, uploads and classification jobs, spots and their shares."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "ImageStatus",
    "JobStatus",
    "identities",
    "image_answers",
    "image_measures",
    "images",
    "jobs",
    "metadata",
    "sessions",
    "spot_shares",
    "spots",
    "users",
]

metadata = MetaData()


class ImageStatus(StrEnum):
    """Where an upload's analysis stands (``images.status``)."""

    PENDING = "pending"
    DONE = "done"  # labelled BENIGN or MALIGNANT
    REFUSED = "refused"  # the photo gate refused it: no label, a reason
    FAILED = "failed"  # it could not be analysed


class JobStatus(StrEnum):
    """Where a job of the SQL queue (``jobs.status``) stands; with an external engine, only the outbox part."""

    PENDING = "pending"  # waiting to be claimed (or to be forwarded by the outbox relay)
    RUNNING = "running"  # leased to a worker (or to the relay) until ``lease_until``
    DONE = "done"  # handled, or forwarded to the queue engine
    FAILED = "failed"  # given up for good


def _revocable_lifetime() -> tuple[Column[datetime], Column[datetime], Column[datetime]]:
    """The columns of a credential that expires and can be revoked before then (a session, a share link)."""
    return (
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True)),  # NULL unless revoked
    )


users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    # Both empty for an account made by the OpenID provider's first sign-in (no verified address).
    Column("email", String(320), unique=True),
    Column("password_hash", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The OpenID provider's accounts: issuer + subject name one person for good (an address can change).
identities = Table(
    "identities",
    metadata,
    Column("issuer", String(255), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_identities_user_id", "user_id"),
)

# One row per sign-in: the token's ``jti`` names it, and a token whose row is revoked (sign-out,
# sign out everywhere) or gone is refused even before it expires.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    *_revocable_lifetime(),
    Index("ix_sessions_user_id", "user_id"),
)

# A place on the skin that a person photographs over time; its photos are the images naming it.
spots = Table(
    "spots",
    metadata,
    Column("id", String(32), primary_key=True),  # uuid4 hex
    Column("owner_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("body_view", String(8)),  # "front" | "back", or NULL with body_x/body_y when no place was marked
    Column("body_x", Float),
    Column("body_y", Float),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_spots_owner_created", "owner_id", "created_at"),
)

# One row per (owner, fileName): the upload that is current and the state of its classification.
images = Table(
    "images",
    metadata,
    Column("owner_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("file_name", String(200), primary_key=True),
    Column("object_key", String(300), nullable=False, unique=True),
    Column("upload_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),  # an ImageStatus
    Column("size", Integer, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("classification", String(16)),
    Column("malignant_probability", Float),
    Column("model_version", String(120)),
    Column("classified_at", DateTime(timezone=True)),
    Column("refusal", String(32)),  # a RefusalReason, when status is refused
    Column("error", Text),
    Column("spot_id", String(32), ForeignKey("spots.id", ondelete="SET NULL", name="fk_images_spot_id_spots")),
    Index("ix_images_owner_uploaded", "owner_id", "uploaded_at"),
    Index("ix_images_spot_id", "spot_id"),
)

# The patient's answers about one photo (NULL: not answered), gone with the image.
image_answers = Table(
    "image_answers",
    metadata,
    Column("owner_id", String(36), primary_key=True),
    Column("file_name", String(200), primary_key=True),
    Column("grown", Boolean),
    Column("changed", Boolean),
    Column("bleeds", Boolean),
    Column("itches", Boolean),
    Column("hurts", Boolean),
    Column("raised", Boolean),
    Column("answered_at", DateTime(timezone=True), nullable=False),
    ForeignKeyConstraint(["owner_id", "file_name"], ["images.owner_id", "images.file_name"], ondelete="CASCADE"),
)

# The lesion's measured area and colour (spots/measures.py), cached per upload: a replaced image
# has a new upload_id, so a row for an older upload is measured again.
image_measures = Table(
    "image_measures",
    metadata,
    Column("owner_id", String(36), primary_key=True),
    Column("file_name", String(200), primary_key=True),
    Column("upload_id", String(36), nullable=False),
    Column("area_fraction", Float, nullable=False),
    Column("lab_l", Float, nullable=False),
    Column("lab_a", Float, nullable=False),
    Column("lab_b", Float, nullable=False),
    ForeignKeyConstraint(["owner_id", "file_name"], ["images.owner_id", "images.file_name"], ondelete="CASCADE"),
)

# Read-only links to one spot; only the SHA-256 of each token is kept.
spot_shares = Table(
    "spot_shares",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("spot_id", String(32), ForeignKey("spots.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    *_revocable_lifetime(),
    Index("ix_spot_shares_spot_id", "spot_id"),
)

# The outbox of object-created events, written in the transaction that writes the image row. It is the
# queue itself on the SQL engine; with an external engine the outbox relay forwards each row to it.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("object_key", String(300), nullable=False),
    Column("upload_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),  # a JobStatus
    Column("attempts", Integer, nullable=False, default=0),
    Column("available_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_jobs_status_available", "status", "available_at"),
    Index("ix_jobs_object_key", "object_key"),
)
