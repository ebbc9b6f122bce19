"""Alembic's entry point: run the revisions in ``versions/`` on the connection SpotCheck hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from spotcheck.db.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "SpotCheck's migrations run on a connection from spotcheck.db.migrate "
        "(`spotcheck db upgrade`), not from the alembic command line"
    )

# The caller owns the transaction (and, on SQLite, holds the write lock): Alembic joins it.
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
