"""Relational storage of accounts, uploads and jobs, and the migrations of its schema."""

from spotcheck.db.engine import open_database
from spotcheck.db.migrate import (
    SchemaBehindError,
    SchemaError,
    Upgrade,
    check_schema,
    head_revision,
    upgrade_database,
)
from spotcheck.db.tables import images, jobs, metadata, sessions, users

__all__ = [
    "SchemaBehindError",
    "SchemaError",
    "Upgrade",
    "check_schema",
    "head_revision",
    "images",
    "jobs",
    "metadata",
    "open_database",
    "sessions",
    "upgrade_database",
    "users",
]
