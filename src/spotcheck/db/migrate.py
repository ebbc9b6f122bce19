"""Bring a database's schema to the revision this SpotCheck needs, or tell why it cannot start.

The revisions live in ``spotcheck/db/migrations/versions/`` (how to add one: the docstring of
:mod:`spotcheck.db.migrations`). A database created by a SpotCheck from before migrations has the
tables of revision 0001 but no ``alembic_version`` table; it is stamped 0001, then upgraded.

Errors:

- :class:`SchemaError`: the database cannot be used or migrated by this SpotCheck.
- :class:`SchemaBehindError` (a ``SchemaError``): the schema is older than this SpotCheck needs;
  ``spotcheck db upgrade`` brings it up to date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.pool import NullPool

__all__ = [
    "INITIAL_REVISION",
    "SchemaBehindError",
    "SchemaError",
    "Upgrade",
    "check_schema",
    "current_revision",
    "head_revision",
    "upgrade_database",
    "upgrade_schema",
]

log = logging.getLogger(__name__)

INITIAL_REVISION = "0001"
_VERSION_TABLE = "alembic_version"
# The tables revision 0001 creates: what `metadata.create_all` made before there were migrations.
_INITIAL_TABLES = frozenset({"users", "images", "jobs"})
# Serialises concurrent `spotcheck db upgrade` runs on PostgreSQL (any constant; "SpCk").
_PG_LOCK_KEY = 0x5370_436B


class SchemaError(Exception):
    """The database's schema cannot be used or migrated by this SpotCheck."""


class SchemaBehindError(SchemaError):
    """The schema is older than this SpotCheck needs: run ``spotcheck db upgrade``."""

    def __init__(self, current: str, head: str) -> None:
        super().__init__(
            f"the database schema is at {current}, this SpotCheck needs {head}: run `spotcheck db upgrade`"
        )
        self.current = current
        self.head = head


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade_database`` found and left: revisions, None for an empty database."""

    before: str | None
    after: str | None
    stamped_legacy: bool = False


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "spotcheck.db:migrations")
    config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The revision this SpotCheck's tables need (the newest file in ``versions/``)."""
    head = _script().get_current_head()
    if head is None:
        raise SchemaError("no revisions in spotcheck/db/migrations/versions: a broken installation")
    return head


def _is_known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database; None if it has none (empty, or from before migrations)."""
    if not inspect(connection).has_table(_VERSION_TABLE):
        return None
    found = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}")).scalars().all()
    if len(found) > 1:
        raise SchemaError(f"the database records several schema revisions ({', '.join(found)}); SpotCheck has one line")
    return found[0] if found else None


def _legacy_tables(connection: Connection) -> frozenset[str]:
    """SpotCheck's tables present in a database that records no revision."""
    return _INITIAL_TABLES & frozenset(inspect(connection).get_table_names())


def _describe(connection: Connection, revision: str | None) -> str:
    if revision is not None:
        return revision
    if _legacy_tables(connection):
        return "no revision (its tables are from a SpotCheck before migrations)"
    return "no revision (an empty database)"


def check_schema(engine: Engine) -> None:
    """Refuse to run on a schema older than this SpotCheck's; warn on one newer than it knows."""
    head = head_revision()
    with engine.connect() as conn:
        current = current_revision(conn)
        if current == head:
            return
        if current is None or _is_known(current):
            raise SchemaBehindError(_describe(conn, current), head)
    log.warning(
        "the database schema is at %s, which this SpotCheck (at %s) does not know: a newer SpotCheck upgraded it; "
        "running anyway",
        current,
        head,
    )


def upgrade_schema(connection: Connection) -> Upgrade:
    """Upgrade the database behind ``connection`` to this SpotCheck's revision, in its transaction.

    ``upgrade_database`` is the function to call; this one is for a database that lives only on
    one connection (in-memory SQLite).
    """
    head = head_revision()
    before = current_revision(connection)
    if before == head:
        return Upgrade(before, head)
    if before is not None and not _is_known(before):
        log.warning("the database schema is at %s, newer than this SpotCheck's %s: left as it is", before, head)
        return Upgrade(before, before)
    config = _config(connection)
    stamped = False
    if before is None and (found := _legacy_tables(connection)):
        if found != _INITIAL_TABLES:
            raise SchemaError(
                f"the database has the tables {', '.join(sorted(found))} but not "
                f"{', '.join(sorted(_INITIAL_TABLES - found))}, and no alembic_version table: "
                "not a database SpotCheck created, or a damaged one"
            )
        log.info("database from before migrations: stamping it %s", INITIAL_REVISION)
        command.stamp(config, INITIAL_REVISION)
        stamped = True
    command.upgrade(config, "head")
    return Upgrade(before, current_revision(connection), stamped_legacy=stamped)


def _migration_engine(url: str) -> Engine:
    """An engine for one migration run, whose transaction locks out other migrating processes."""
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, poolclass=NullPool)
    # pysqlite issues no BEGIN before DDL by itself; take the write lock up front instead, so two
    # processes starting on a fresh file cannot both create the tables. Foreign keys stay off
    # (SQLite's default) so that a revision rebuilding a table (batch mode) cascades no deletes.
    engine = create_engine(url, poolclass=NullPool, connect_args={"isolation_level": None, "timeout": 30})

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade_database(url: str) -> Upgrade:
    """Upgrade the database at ``url`` (any SQLAlchemy URL) to this SpotCheck's revision.

    Empty databases get every revision; databases from before migrations are stamped 0001 first.
    """
    head = head_revision()
    reader = create_engine(url, poolclass=NullPool)
    try:
        with reader.connect() as conn:  # the usual case at start-up: nothing to do, no lock taken
            if current_revision(conn) == head:
                return Upgrade(head, head)
    finally:
        reader.dispose()
    engine = _migration_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            return upgrade_schema(conn)
    finally:
        engine.dispose()
