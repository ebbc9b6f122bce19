"""Alembic migrations: they build exactly tables.py, adopt databases from before them, and SQLite upgrades itself."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from legacy_schema import legacy_metadata
from spotcheck.cli import app
from spotcheck.clock import utc_now
from spotcheck.db import SchemaError, head_revision, metadata, open_database, upgrade_database, users
from spotcheck.db.migrate import _config, current_revision
from spotcheck.db.tables import images


def schema_differences(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match tables.py."""
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision(conn)


def test_the_migrations_build_exactly_the_tables_module(tmp_path: Path) -> None:
    """Fails when tables.py changed without a revision (or a revision without tables.py)."""
    engine = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert revision_of(engine) == head_revision()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_the_comparison_sees_a_missing_column(tmp_path: Path) -> None:
    """The check above can fail: a column dropped behind Alembic's back is reported."""
    engine = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE images DROP COLUMN error"))
        assert [diff[0] for diff in schema_differences(engine)] == ["add_column"]
    finally:
        engine.dispose()


def test_a_database_from_before_migrations_is_stamped_then_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    legacy = create_engine(url)
    legacy_metadata().create_all(legacy)
    with legacy.begin() as conn:
        conn.execute(insert(users).values(id="u", email="ada@example.org", password_hash="x", created_at=utc_now()))
    legacy.dispose()

    result = upgrade_database(url)  # what open_database does first on SQLite
    assert (result.before, result.stamped_legacy, result.after) == (None, True, head_revision())
    engine = open_database(url)
    try:
        assert revision_of(engine) == head_revision()
        assert schema_differences(engine) == []
        with engine.connect() as conn:
            assert conn.execute(select(users.c.email)).scalars().all() == ["ada@example.org"]
    finally:
        engine.dispose()


def test_a_database_with_only_some_of_the_tables_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    partial = create_engine(url)
    legacy_metadata().tables["users"].create(partial)
    partial.dispose()
    with pytest.raises(SchemaError, match=r"has the tables users but not images, jobs"):
        open_database(url)


def test_a_revision_newer_than_this_spotcheck_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    open_database(url).dispose()
    raw = create_engine(url)
    with raw.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    raw.dispose()
    with caplog.at_level(logging.WARNING, logger="spotcheck.db.migrate"):
        engine = open_database(url)
    engine.dispose()
    assert "at 9999, newer than this SpotCheck's" in caplog.text
    assert upgrade_database(url).after == "9999"


def test_processes_starting_together_on_a_fresh_file_migrate_it_once(tmp_path: Path) -> None:
    """serve and workers started at once: the first takes the write lock, the others find it done."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    errors: list[BaseException] = []

    def start() -> None:
        try:
            open_database(url).dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]
        assert set(inspect(engine).get_table_names()) == {"alembic_version", *metadata.tables}
    finally:
        engine.dispose()


def test_an_in_memory_database_is_migrated_on_its_own_connection() -> None:
    engine = open_database("sqlite://")
    try:
        assert revision_of(engine) == head_revision()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_db_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = CliRunner().invoke(app, ["db", "upgrade", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert f"upgraded from none to {head_revision()}" in first.stdout
    again = CliRunner().invoke(app, ["db", "upgrade", "--database-url", url])
    assert again.exit_code == 0, again.output
    assert f"already at {head_revision()}" in again.stdout


def test_upgrading_puts_stored_emails_in_nfc_unless_another_account_has_that_spelling(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'emails.db'}"
    legacy = create_engine(url)
    legacy_metadata().create_all(legacy)
    stored = {
        "decomposed": "zoe\u0308@example.org",
        "clash-nfc": "re\u0301my@example.org".replace("e\u0301", "\u00e9"),
        "clash-nfd": "re\u0301my@example.org",
        "plain": "ada@example.org",
    }
    with legacy.begin() as conn:
        for user_id, email in stored.items():
            conn.execute(insert(users).values(id=user_id, email=email, password_hash="x", created_at=utc_now()))
    legacy.dispose()

    upgrade_database(url)
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            emails = {row.id: row.email for row in conn.execute(select(users.c.id, users.c.email))}
    finally:
        engine.dispose()
    assert emails == {
        "decomposed": "zo\u00eb@example.org",
        "clash-nfc": "r\u00e9my@example.org",
        "clash-nfd": "re\u0301my@example.org",  # two accounts are not merged behind their owners' backs
        "plain": "ada@example.org",
    }


def test_rebuilding_users_for_provider_accounts_keeps_every_row_and_the_unique_address(tmp_path: Path) -> None:
    """0005 copies the users table on SQLite (batch mode): no cascade may delete images or sessions."""
    url = f"sqlite:///{tmp_path / 'rebuild.db'}"
    legacy = create_engine(url)
    legacy_metadata().create_all(legacy)
    now = utc_now()
    with legacy.begin() as conn:
        conn.execute(insert(users).values(id="u", email="ada@example.org", password_hash="x", created_at=now))
        conn.execute(
            insert(images).values(
                owner_id="u",
                file_name="a.jpg",
                object_key="u/a.jpg",
                upload_id="1",
                status="pending",
                size=1,
                uploaded_at=now,
            )
        )
    legacy.dispose()

    upgrade_database(url)
    engine = open_database(url)
    try:
        with engine.begin() as conn:
            assert conn.execute(select(images.c.file_name)).scalars().all() == ["a.jpg"]
            # A provider's account may have neither address nor password; two such accounts may coexist.
            for user_id in ("p1", "p2"):
                conn.execute(insert(users).values(id=user_id, email=None, password_hash=None, created_at=now))
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(users).values(id="v", email="ada@example.org", password_hash="y", created_at=now))
    finally:
        engine.dispose()


def test_revision_0006_goes_down_to_0005_and_up_again_keeping_images(tmp_path: Path) -> None:
    """Spots and their tables come and go with their revision; the images table keeps its rows."""
    url = f"sqlite:///{tmp_path / 'spots.db'}"
    engine = open_database(url)
    with engine.begin() as conn:
        conn.execute(insert(users).values(id="u", email="ada@example.org", password_hash="x", created_at=utc_now()))
        conn.execute(
            text(
                "INSERT INTO images (owner_id, file_name, object_key, upload_id, status, size, uploaded_at) "
                "VALUES ('u', 'a.jpg', 'users/u/a.jpg', 'up', 'pending', 1, '2026-01-01 00:00:00')"
            )
        )
    for target in ("0005", "head"):
        with engine.begin() as conn:
            config = _config(conn)
            (command.downgrade if target == "0005" else command.upgrade)(config, target)
        tables = set(inspect(engine).get_table_names())
        assert ("spots" in tables) is (target == "head")
        assert ("spot_id" in {c["name"] for c in inspect(engine).get_columns("images")}) is (target == "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT file_name FROM images")).scalars().all() == ["a.jpg"]
    assert schema_differences(engine) == []
    engine.dispose()
