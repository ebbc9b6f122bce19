"""The JobQueue contract, run against every queue a worker claims from: the SQL table and the in-memory fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spotcheck.db import open_database
from spotcheck.jobs import Job, JobQueue, MemoryJobQueue, ObjectCreated, SqlJobQueue


@pytest.fixture(params=["memory", "sql"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobQueue]:
    if request.param == "memory":
        yield MemoryJobQueue()
        return
    engine = open_database(f"sqlite:///{tmp_path / 'queue.db'}")
    yield SqlJobQueue(engine, lease_seconds=60)
    engine.dispose()


def _event(n: int) -> ObjectCreated:
    return ObjectCreated(f"users/u/{n}.jpg", f"upload-{n}")


def _claim(queue: JobQueue) -> Job:
    job = queue.claim(timeout=0)
    assert job is not None
    return job


def test_each_job_is_handed_out_once_in_order(queue: JobQueue) -> None:
    assert queue.claim(timeout=0) is None
    for n in (1, 2):
        queue.publish(_event(n))
    first, second = _claim(queue), _claim(queue)
    assert [(first.event, first.attempt), (second.event, second.attempt)] == [(_event(1), 1), (_event(2), 1)]
    assert queue.claim(timeout=0) is None


def test_completed_and_failed_jobs_are_gone(queue: JobQueue) -> None:
    for n in (1, 2):
        queue.publish(_event(n))
    queue.complete(_claim(queue))
    queue.fail(_claim(queue), error="not an image")
    assert queue.claim(timeout=0) is None


def test_a_retried_job_comes_back_with_the_next_attempt(queue: JobQueue) -> None:
    queue.publish(_event(1))
    job = _claim(queue)
    queue.retry(job, error="store timed out", delay=0)
    again = _claim(queue)
    assert (again.id, again.event, again.attempt) == (job.id, job.event, 2)


def test_a_delayed_retry_waits(queue: JobQueue) -> None:
    queue.publish(_event(1))
    queue.retry(_claim(queue), error="store timed out", delay=60)
    assert queue.claim(timeout=0) is None


def test_a_stale_answer_does_not_count(queue: JobQueue) -> None:
    queue.publish(_event(1))
    job = _claim(queue)
    queue.retry(job, error="x", delay=0)
    again = _claim(queue)
    queue.complete(job)  # the first delivery's late answer
    queue.retry(again, error="y", delay=0)
    assert _claim(queue).attempt == 3
