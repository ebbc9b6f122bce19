"""The SQLite engine: a statement a failing caller never finished must not outlive its checkout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from spotcheck.clock import utc_now
from spotcheck.db import images, open_database, users


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
