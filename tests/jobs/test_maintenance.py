"""The jobs table's upkeep: interrupted jobs released, orphaned images queued, finished jobs pruned."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from spotcheck.auth import AccountService
from spotcheck.clock import utc_now
from spotcheck.db import images, jobs, open_database
from spotcheck.db.tables import ImageStatus, JobStatus
from spotcheck.gallery.records import ImageRecords
from spotcheck.jobs import Job, ObjectCreated, SqlJobMaintenance, SqlJobQueue


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_database(f"sqlite:///{tmp_path / 'queue.db'}")


@pytest.fixture
def owner(engine: Engine) -> str:
    return AccountService(engine).register(email="ada@example.org", password="correct horse battery").id


def _record(engine: Engine, owner: str, n: int) -> ObjectCreated:
    event = ObjectCreated(f"users/{owner}/{n}.jpg", f"upload-{n}")
    with ImageRecords(engine).recording_upload(
        owner_id=owner, file_name=f"{n}.jpg", object_key=event.object_key, upload_id=event.upload_id, size=1,
        uploaded_at=utc_now(),
    ):  # fmt: skip
        pass
    return event


def _statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(jobs.c.status)).scalars())


def _claim(queue: SqlJobQueue) -> Job:
    job = queue.claim(timeout=0)
    assert job is not None
    return job


def test_release_running_hands_interrupted_jobs_out_again(engine: Engine) -> None:
    queue = SqlJobQueue(engine, lease_seconds=60)
    for n in (1, 2, 3):
        queue.publish(ObjectCreated(f"k/{n}", f"upload-{n}"))
    running = [_claim(queue), _claim(queue)]
    queue.complete(running[1])
    maintenance = SqlJobMaintenance(engine)
    assert maintenance.release_running() == 1
    assert maintenance.release_running() == 0
    assert [_claim(queue).event.upload_id for _ in range(2)] == ["upload-1", "upload-3"]


def test_requeue_orphans_gives_a_job_only_to_pending_images_without_one(engine: Engine, owner: str) -> None:
    orphan, queued, labelled = (_record(engine, owner, n) for n in (1, 2, 3))
    with engine.begin() as conn:  # as an older SpotCheck could leave it: a crash before publishing
        conn.execute(delete(jobs).where(jobs.c.upload_id.in_([orphan.upload_id, labelled.upload_id])))
        conn.execute(images.update().where(images.c.upload_id == labelled.upload_id).values(status=ImageStatus.DONE))
    maintenance = SqlJobMaintenance(engine)
    assert maintenance.requeue_orphans() == 1
    assert maintenance.requeue_orphans() == 0
    with engine.connect() as conn:
        assert sorted(conn.execute(select(jobs.c.upload_id)).scalars()) == [orphan.upload_id, queued.upload_id]


def test_prune_keeps_open_failed_and_still_awaited_jobs(engine: Engine, owner: str) -> None:
    queue = SqlJobQueue(engine, lease_seconds=60)
    awaited = _record(engine, owner, 1)  # done in the outbox (forwarded), its image still pending
    queue.complete(_claim(queue))
    for n in (2, 3, 4):
        queue.publish(ObjectCreated(f"k/{n}", f"upload-{n}"))
    queue.complete(_claim(queue))  # upload-2: no pending image waits for it
    queue.fail(_claim(queue), error="x")
    assert SqlJobMaintenance(engine).prune() == 1
    assert _statuses(engine) == [JobStatus.DONE, JobStatus.FAILED, JobStatus.PENDING]
    with engine.connect() as conn:
        kept = conn.execute(select(jobs.c.upload_id).where(jobs.c.status == JobStatus.DONE)).scalar_one()
    assert kept == awaited.upload_id
