"""The relational schema: accounts, uploads and classification jobs."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["ImageStatus", "JobStatus", "images", "jobs", "metadata", "sessions", "users"]

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


users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per sign-in: the token's ``jti`` names it, and a token whose row is revoked (sign-out,
# sign out everywhere) or gone is refused even before it expires.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_sessions_user_id", "user_id"),
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
    Index("ix_images_owner_uploaded", "owner_id", "uploaded_at"),
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
