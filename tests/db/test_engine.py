"""The SQLite engine: a statement a failing caller never finished must not outlive its checkout, and a
writer waits a bounded time for its turn."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import OperationalError

from spotcheck.clock import utc_now
from spotcheck.db import images, open_database, users
from spotcheck.db.writers import serialised_writes


def test_a_failed_read_with_an_unfinished_result_leaves_the_pool_writable(tmp_path: Path) -> None:
    """The offset-overflow outage: every later write answered "database is locked" until a restart."""
    path = tmp_path / "spotcheck.db"
    engine = open_database(f"sqlite:///{path}")
    now = utc_now()
    with engine.begin() as conn:
        conn.execute(insert(users).values(id="u", email="a@example.org", password_hash="x", created_at=now))
    unfinished = []
    with pytest.raises(OverflowError), engine.connect() as conn:
        # Stepped once, never read to its end: the statement keeps its read snapshot open.
        unfinished.append(conn.execute(select(func.count()).select_from(users)))
        conn.execute(select(images).offset(2**63))  # SQLite cannot bind this integer

    other = sqlite3.connect(path, timeout=1)  # someone else commits after that snapshot
    other.execute("INSERT INTO users (id, email, password_hash, created_at) VALUES ('v', 'b@e.org', 'x', '2026')")
    other.commit()
    other.close()

    with engine.begin() as conn:  # the same pooled connection: a stale snapshot could never write
        conn.execute(insert(users).values(id="w", email="c@example.org", password_hash="x", created_at=now))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 3
    engine.dispose()


def test_a_writer_waits_at_most_the_timeout_for_its_turn_in_this_process(tmp_path: Path) -> None:
    """A writer that holds the lock while the store hangs costs the others a quick 503, not its hang."""
    engine = open_database(f"sqlite:///{tmp_path / 'spotcheck.db'}", timeout=0.3)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with serialised_writes(engine):
            holding.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(OperationalError, match="write turn"), serialised_writes(engine):
            pass
        assert 0.25 < time.monotonic() - started < 5
    finally:
        done.set()
        holder.join()
    with serialised_writes(engine):  # free again once the holder is done
        pass
    engine.dispose()


def test_a_writer_waits_at_most_the_timeout_for_another_process(tmp_path: Path) -> None:
    path = tmp_path / "spotcheck.db"
    engine = open_database(f"sqlite:///{path}", timeout=0.3)
    other = sqlite3.connect(path, timeout=1)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction, left open
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), engine.begin() as conn:
            conn.execute(insert(users).values(id="u", email="a@example.org", password_hash="x", created_at=utc_now()))
        assert time.monotonic() - started < 5
    finally:
        other.rollback()
        other.close()
    engine.dispose()
