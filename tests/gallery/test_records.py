"""The images table's writer: an upload's row and its outbox job commit together, or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine.base import RootTransaction
from sqlalchemy.exc import OperationalError

from spotcheck.auth import AccountService
from spotcheck.clock import utc_now
from spotcheck.db import images, jobs, open_database
from spotcheck.db.tables import ImageStatus, JobStatus
from spotcheck.gallery.records import ImageRecords
from spotcheck.storage import StorageUnavailableError


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_database(f"sqlite:///{tmp_path / 'records.db'}")


@pytest.fixture
def owner(engine: Engine) -> str:
    return AccountService(engine).register(email="ada@example.org", password="correct horse battery").id


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(images)).scalar_one(),
            conn.execute(select(func.count()).select_from(jobs)).scalar_one(),
        )


def _upload(records: ImageRecords, owner: str, upload_id: str = "u1"):  # type: ignore[no-untyped-def]
    return records.recording_upload(
        owner_id=owner,
        file_name="mole.jpg",
        object_key=f"users/{owner}/mole.jpg",
        upload_id=upload_id,
        size=10,
        uploaded_at=utc_now(),
    )


def test_row_and_job_become_visible_together_after_the_commit(engine: Engine, owner: str) -> None:
    woken: list[bool] = []
    records = ImageRecords(engine, on_job_committed=lambda: woken.append(True))
    with _upload(records, owner):
        assert _counts(engine) == (0, 0)  # another connection sees neither before the commit
        assert woken == []
    assert _counts(engine) == (1, 1)
    assert woken == [True]
    with engine.connect() as conn:
        job = conn.execute(select(jobs)).one()
        row = conn.execute(select(images)).one()
    assert (job.status, job.upload_id, job.object_key) == (JobStatus.PENDING, "u1", row.object_key)
    assert row.status == ImageStatus.PENDING


def test_a_failed_store_write_rolls_back_row_and_job(engine: Engine, owner: str) -> None:
    woken: list[bool] = []
    records = ImageRecords(engine, on_job_committed=lambda: woken.append(True))
    with pytest.raises(OSError), _upload(records, owner):
        raise OSError("the store is down")
    assert _counts(engine) == (0, 0)
    assert woken == []


def test_a_replaced_upload_starts_over_with_a_job_of_its_own(engine: Engine, owner: str) -> None:
    records = ImageRecords(engine)
    with _upload(records, owner, "u1"):
        pass
    with _upload(records, owner, "u2"):
        pass
    with engine.connect() as conn:
        assert conn.execute(select(images.c.upload_id)).scalars().all() == ["u2"]
        assert sorted(conn.execute(select(jobs.c.upload_id)).scalars()) == ["u1", "u2"]


def test_removing_takes_the_row_and_its_jobs(engine: Engine, owner: str) -> None:
    records = ImageRecords(engine)
    with _upload(records, owner):
        pass
    with records.removing(owner_id=owner, file_name="mole.jpg", object_key=f"users/{owner}/mole.jpg") as found:
        assert found
    assert _counts(engine) == (0, 0)
    with records.removing(owner_id=owner, file_name="mole.jpg", object_key=f"users/{owner}/mole.jpg") as found:
        assert not found


def test_the_bodys_own_error_is_raised_when_the_database_dropped_the_connection_meanwhile(
    engine: Engine, owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that took longer than the database lets a connection idle: the rollback then fails
    too, and the answer must name the store (503 "Storage is unavailable"), not the database."""

    def dropped(_self: object) -> None:
        raise OperationalError("ROLLBACK", None, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(RootTransaction, "rollback", dropped)
    with pytest.raises(StorageUnavailableError, match="read timeout"), _upload(ImageRecords(engine), owner):
        raise StorageUnavailableError("S3 put of 'mole.jpg' failed: read timeout")
