"""The SQL job queue: claim, complete, retry, fail, leases and concurrent claimers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from fake_clock import FakeClock
from spotcheck.clock import utc_now
from spotcheck.db import jobs, open_database
from spotcheck.jobs import Job, ObjectCreated, SqlJobQueue


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_database(f"sqlite:///{tmp_path / 'queue.db'}")


@pytest.fixture
def queue(engine: Engine) -> SqlJobQueue:
    return SqlJobQueue(engine, lease_seconds=60)


def _event(n: int = 1) -> ObjectCreated:
    return ObjectCreated(f"users/u/{n}.jpg", f"upload-{n}")


def _status(engine: Engine, job: Job) -> tuple[str, int, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(jobs).where(jobs.c.id == int(job.id))).one()
    return row.status, row.attempts, row.last_error


def _claim(queue: SqlJobQueue) -> Job:
    job = queue.claim(timeout=0)
    assert job is not None
    return job


def test_claim_hands_out_each_job_once_in_order(queue: SqlJobQueue, engine: Engine) -> None:
    assert queue.claim(timeout=0) is None
    queue.publish(_event(1))
    queue.publish(_event(2))
    first, second = _claim(queue), _claim(queue)
    assert (first.event, first.attempt) == (_event(1), 1)
    assert second.event == _event(2)
    assert queue.claim(timeout=0) is None  # both leased
    assert _status(engine, first) == ("running", 1, None)


def test_complete(queue: SqlJobQueue, engine: Engine) -> None:
    queue.publish(_event())
    job = _claim(queue)
    queue.complete(job)
    assert _status(engine, job) == ("done", 1, None)
    assert queue.claim(timeout=0) is None


def test_retry_after_a_delay(engine: Engine) -> None:
    clock = FakeClock()
    queue = SqlJobQueue(engine, lease_seconds=600, clock=clock)
    queue.publish(_event())
    job = _claim(queue)
    queue.retry(job, error="store timed out", delay=60)
    assert _status(engine, job) == ("pending", 1, "store timed out")
    clock.advance(59)
    assert queue.claim(timeout=0) is None  # not before its time

    clock.advance(1)
    again = _claim(queue)
    assert (again.id, again.attempt) == (job.id, 2)


def test_fail_is_final(queue: SqlJobQueue, engine: Engine) -> None:
    queue.publish(_event())
    job = _claim(queue)
    queue.fail(job, error="not an image")
    assert _status(engine, job) == ("failed", 1, "not an image")
    assert queue.claim(timeout=0) is None


def test_an_expired_lease_lets_another_worker_take_the_job(engine: Engine) -> None:
    clock = FakeClock()
    first_worker = SqlJobQueue(engine, lease_seconds=60, clock=clock)
    second_worker = SqlJobQueue(engine, lease_seconds=60, clock=clock)
    first_worker.publish(_event())
    job = _claim(first_worker)
    clock.advance(59)
    assert second_worker.claim(timeout=0) is None
    clock.advance(2)  # the lease has run out
    taken = _claim(second_worker)
    assert (taken.id, taken.attempt) == (job.id, 2)

    # The first worker wakes up late: its answer no longer counts.
    first_worker.complete(job)
    first_worker.fail(job, error="late")
    assert _status(engine, taken) == ("running", 2, None)
    second_worker.complete(taken)
    assert _status(engine, taken) == ("done", 2, None)


def test_claim_waits_for_a_publish_in_this_process(queue: SqlJobQueue) -> None:
    threading.Timer(0.1, queue.publish, args=(_event(),)).start()
    started = time.monotonic()
    job = queue.claim(timeout=5)
    assert job is not None and time.monotonic() - started < 1.0


def test_claim_gives_up_after_its_timeout(queue: SqlJobQueue) -> None:
    started = time.monotonic()
    assert queue.claim(timeout=0.2) is None
    assert 0.15 < time.monotonic() - started < 2.0


def test_concurrent_workers_never_share_a_job(tmp_path: Path) -> None:
    """Eight workers, each with its own engine (as separate processes would have), drain 200 jobs in batches."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    publisher = SqlJobQueue(open_database(url), lease_seconds=60)
    for n in range(200):
        publisher.publish(_event(n))
    claimed: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        queue = SqlJobQueue(open_database(url), lease_seconds=60)
        try:
            while (job := queue.claim(timeout=0)) is not None:
                batch = [job, *queue.claim_waiting(3)]
                with lock:
                    claimed.extend(taken.id for taken in batch)
                for taken in batch:
                    queue.complete(taken)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    duplicates = [job_id for job_id, count in Counter(claimed).items() if count > 1]
    assert duplicates == []
    assert len(claimed) == 200


def test_a_job_whose_lease_was_taken_over_is_not_completed_twice(queue: SqlJobQueue, engine: Engine) -> None:
    queue.publish(_event())
    job = _claim(queue)
    with engine.begin() as conn:  # the lease runs out
        conn.execute(update(jobs).values(lease_until=utc_now()))
    taken = _claim(queue)
    queue.retry(job, error="late retry", delay=0)
    assert _status(engine, taken) == ("running", 2, None)


def test_waiting_jobs_are_claimed_together_up_to_the_limit(queue: SqlJobQueue, engine: Engine) -> None:
    for n in range(12):
        queue.publish(_event(n))
    taken = queue.claim_waiting(10)
    assert [job.event for job in taken] == [_event(n) for n in range(10)]
    assert all(_status(engine, job) == ("running", 1, None) for job in taken)
    assert [job.event for job in queue.claim_waiting(10)] == [_event(10), _event(11)]
    assert queue.claim_waiting(10) == []
    assert queue.claim_waiting(0) == []
