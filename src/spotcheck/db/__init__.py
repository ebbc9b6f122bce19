"""Relational storage of accounts, uploads and jobs."""

from spotcheck.db.engine import open_database
from spotcheck.db.tables import images, jobs, metadata, users

__all__ = ["images", "jobs", "metadata", "open_database", "users"]
