"""The schema as SpotCheck created it with ``metadata.create_all`` before it had migrations.

A frozen copy of ``spotcheck/db/tables.py`` at that time: the tables module moves on with every
revision, this must not, so that databases from before migrations can still be made in tests.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text

__all__ = ["legacy_metadata"]


def legacy_metadata() -> MetaData:
    metadata = MetaData()
    Table(
        "users",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("email", String(320), nullable=False, unique=True),
        Column("password_hash", String(255), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "images",
        metadata,
        Column("owner_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        Column("file_name", String(200), primary_key=True),
        Column("object_key", String(300), nullable=False, unique=True),
        Column("upload_id", String(36), nullable=False),
        Column("status", String(16), nullable=False),
        Column("size", Integer, nullable=False),
        Column("uploaded_at", DateTime(timezone=True), nullable=False),
        Column("classification", String(16)),
        Column("malignant_probability", Float),
        Column("model_version", String(120)),
        Column("classified_at", DateTime(timezone=True)),
        Column("error", Text),
        Index("ix_images_owner_uploaded", "owner_id", "uploaded_at"),
    )
    Table(
        "jobs",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("object_key", String(300), nullable=False),
        Column("upload_id", String(36), nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("available_at", DateTime(timezone=True), nullable=False),
        Column("lease_until", DateTime(timezone=True)),
        Column("last_error", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Index("ix_jobs_status_available", "status", "available_at"),
        Index("ix_jobs_object_key", "object_key"),
    )
    return metadata
