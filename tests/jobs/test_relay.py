"""The outbox relay forwards committed jobs to the queue engine, once each, and keeps failed publishes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from spotcheck.db import jobs, open_database
from spotcheck.db.tables import JobStatus
from spotcheck.jobs import MemoryJobQueue, ObjectCreated, OutboxRelay, SqlJobQueue


class BrokenEngine(MemoryJobQueue):
    def publish(self, event: ObjectCreated) -> None:
        raise ConnectionError("broker unreachable")


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_database(f"sqlite:///{tmp_path / 'outbox.db'}")


def test_each_committed_job_is_forwarded_once(engine: Engine) -> None:
    outbox, broker = SqlJobQueue(engine, lease_seconds=60), MemoryJobQueue()
    relay = OutboxRelay(outbox, broker)
    for n in (1, 2, 3):
        outbox.publish(ObjectCreated(f"k/{n}", f"upload-{n}"))
    assert relay.forward_once() == 3
    assert relay.forward_once() == 0
    delivered = [broker.claim(timeout=0) for _ in range(4)]
    assert [job.event.upload_id if job else None for job in delivered] == ["upload-1", "upload-2", "upload-3", None]
    with engine.connect() as conn:
        assert set(conn.execute(select(jobs.c.status)).scalars()) == {JobStatus.DONE}


def test_a_failed_publish_stays_in_the_outbox(engine: Engine) -> None:
    outbox = SqlJobQueue(engine, lease_seconds=60)
    outbox.publish(ObjectCreated("k/1", "upload-1"))
    assert OutboxRelay(outbox, BrokenEngine()).forward_once() == 0
    with engine.connect() as conn:
        row = conn.execute(select(jobs)).one()
    assert row.status == JobStatus.PENDING and "broker unreachable" in row.last_error


def test_the_running_relay_forwards_a_commit_at_once(engine: Engine) -> None:
    outbox, broker = SqlJobQueue(engine, lease_seconds=60), MemoryJobQueue()
    relay = OutboxRelay(outbox, broker)
    relay.start()
    try:
        outbox.publish(ObjectCreated("k/1", "upload-1"))
        job = broker.claim(timeout=10)
        assert job is not None and job.event.upload_id == "upload-1"
    finally:
        relay.stop()
    assert not relay.running
