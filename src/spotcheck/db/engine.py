"""Create the database engine (SQLite by default, PostgreSQL or any SQLAlchemy URL otherwise)."""

from __future__ import annotations

import functools
import sqlite3
import weakref
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url

from spotcheck.db.migrate import check_schema, upgrade_database, upgrade_schema
from spotcheck.db.watchdog import ConnectionWatchdog
from spotcheck.db.writers import bound_write_turns

__all__ = ["open_database"]


class _StatementClosingConnection(sqlite3.Connection):
    """A SQLite connection whose rollback also closes every cursor it handed out.

    Since Python 3.11 ``rollback()`` no longer resets unfinished statements. A statement that
    was stepped but never run to its end (a result a failing request never read) keeps its read
    snapshot after the connection goes back to the pool; once anyone else commits, every write on
    that connection fails with "database is locked" (SQLITE_BUSY_SNAPSHOT, which the busy timeout
    does not retry) until the process restarts. The pool rolls back every connection it takes
    back, so closing the cursors here means no statement outlives its checkout.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cursors: weakref.WeakSet[sqlite3.Cursor] = weakref.WeakSet()

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        cursor = super().cursor(*args, **kwargs)
        self._cursors.add(cursor)
        return cursor

    def rollback(self) -> None:
        for cursor in list(self._cursors):
            cursor.close()
        super().rollback()


def _sqlite_pragmas(busy_milliseconds: int, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_milliseconds}")
    cursor.close()


def _server_engine(url: str, timeout: float) -> Engine:
    """An engine on a database server whose every wait is bounded, so an outage answers 503, not a hang."""
    connect_args: dict[str, Any] = {}
    if make_url(url).get_backend_name() == "postgresql":
        milliseconds = int(timeout * 1000)
        connect_args = {
            "connect_timeout": max(1, int(timeout / 2)),
            "options": f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}",
        }
    # No pre-ping: it runs outside the watchdog's reach; a dead connection fails one request (503)
    # and SQLAlchemy then replaces the whole pool.
    engine = create_engine(url, pool_timeout=timeout, connect_args=connect_args)
    ConnectionWatchdog(limit=timeout * 2).install(engine)
    return engine


def open_database(url: str, *, timeout: float = 5.0) -> Engine:
    """Engine on a schema at this SpotCheck's revision; SQLite: WAL, foreign keys, busy timeout, no stray statements.

    ``timeout`` bounds a database server's waits: connecting, a statement, a pooled connection, and
    (twice it, enforced on the client) a connection held by a server that stopped answering.

    SQLite (one SpotCheck per file) is upgraded here, at start-up. Any other database is shared by
    servers and workers that may run different versions during a roll-out, so it is never migrated
    implicitly: a schema older than this SpotCheck's raises ``SchemaBehindError``, which asks for
    ``spotcheck db upgrade``.
    """
    if make_url(url).get_backend_name() != "sqlite":
        engine = _server_engine(url, timeout)
        try:
            check_schema(engine)
        except BaseException:
            engine.dispose()
            raise
        return engine
    in_memory = make_url(url).database in (None, "", ":memory:")
    if not in_memory:
        upgrade_database(url)  # on its own connection, which locks out other processes while it migrates
    # A writer waits ``timeout`` for its turn, as on a database server: another process's (SQLite's
    # busy timeout) or this process's (``serialised_writes``). A writer that holds the lock while the
    # store hangs then costs the others a quick 503, not its whole hang on top of theirs.
    connect_args = {"check_same_thread": False, "timeout": timeout, "factory": _StatementClosingConnection}
    engine = create_engine(url, connect_args=connect_args)
    event.listen(engine, "connect", functools.partial(_sqlite_pragmas, int(timeout * 1000)))
    bound_write_turns(engine, timeout)
    if in_memory:  # the database exists only on this engine's connection
        with engine.begin() as conn:
            upgrade_schema(conn)
    return engine
