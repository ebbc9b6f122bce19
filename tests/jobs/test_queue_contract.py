"""The JobQueue contract, run against every queue a worker claims from: the SQL table, the in-memory fake
and Procrastinate (on a real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from spotcheck.db import open_database
from spotcheck.jobs import Job, JobQueue, MemoryJobQueue, ObjectCreated, SqlJobQueue

# How long a claim waits before "nothing to hand out" is believed: Procrastinate's worker loop looks for
# jobs that fell due about once a second; the others answer from their table at once.
QUIET_SECONDS = {"memory": 0.0, "sql": 0.0, "procrastinate": 1.5}
CLAIM_SECONDS = 10.0  # a job that is there is handed out within this


@pytest.fixture(scope="module")
def procrastinate_url() -> Iterator[str]:
    pytest.importorskip("procrastinate")
    from pg_server import postgres_server
    from spotcheck.jobs.procrastinate import apply_procrastinate_schema

    with postgres_server() as url:
        apply_procrastinate_schema(url)
        yield url


def _forget_procrastinate_jobs(url: str) -> None:
    import psycopg

    from spotcheck.jobs.procrastinate import libpq_url

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DELETE FROM procrastinate_jobs")


@pytest.fixture(params=["memory", "sql", pytest.param("procrastinate", marks=pytest.mark.postgres)])
def make_queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], JobQueue]]:
    """A new queue, not yet started; each is stopped at the end of the test."""
    made: list[JobQueue] = []
    cleanups: list[Callable[[], None]] = []

    def make() -> JobQueue:
        queue: JobQueue
        if request.param == "memory":
            queue = MemoryJobQueue()
        elif request.param == "sql":
            engine = open_database(f"sqlite:///{tmp_path / 'queue.db'}")
            cleanups.append(engine.dispose)
            queue = SqlJobQueue(engine, lease_seconds=60)
        else:
            from spotcheck.jobs.procrastinate import ProcrastinateJobQueue

            url = request.getfixturevalue("procrastinate_url")
            cleanups.append(lambda: _forget_procrastinate_jobs(url))
            queue = ProcrastinateJobQueue(url, concurrency=2, heartbeat_seconds=0.5, stalled_after_seconds=30)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.stop()
    for cleanup in cleanups:
        cleanup()


@pytest.fixture
def queue(make_queue: Callable[[], JobQueue]) -> JobQueue:
    started = make_queue()
    started.start()
    return started


@pytest.fixture
def quiet(request: pytest.FixtureRequest) -> float:
    return QUIET_SECONDS[request.node.callspec.params["make_queue"]]


def _event(n: int) -> ObjectCreated:
    return ObjectCreated(f"users/u/{n}.jpg", f"upload-{n}")


def _claim(queue: JobQueue) -> Job:
    job = queue.claim(timeout=CLAIM_SECONDS)
    assert job is not None
    return job


def test_each_job_is_handed_out_once_in_order(queue: JobQueue, quiet: float) -> None:
    assert queue.claim(timeout=quiet) is None
    for n in (1, 2):
        queue.publish(_event(n))
    first, second = _claim(queue), _claim(queue)
    assert [(first.event, first.attempt), (second.event, second.attempt)] == [(_event(1), 1), (_event(2), 1)]
    assert queue.claim(timeout=quiet) is None


def test_jobs_already_waiting_are_handed_out_together_in_order(queue: JobQueue, quiet: float) -> None:
    assert queue.claim_waiting(4) == []
    for n in range(1, 6):
        queue.publish(_event(n))
    taken: list[Job] = []
    while len(taken) < 5:  # an engine hands out as many at a time as it runs concurrently
        batch = [_claim(queue), *queue.claim_waiting(3)]
        assert len(batch) <= 4
        taken += batch
        for job in batch:
            queue.complete(job)
    assert [(job.event, job.attempt) for job in taken] == [(_event(n), 1) for n in range(1, 6)]
    assert queue.claim_waiting(4) == []
    assert queue.claim(timeout=quiet) is None


def test_a_job_published_before_start_is_handed_out_once_started(make_queue: Callable[[], JobQueue]) -> None:
    queue = make_queue()
    queue.publish(_event(1))
    queue.start()
    assert _claim(queue).event == _event(1)


def test_completed_and_failed_jobs_are_gone(queue: JobQueue, quiet: float) -> None:
    for n in (1, 2):
        queue.publish(_event(n))
    queue.complete(_claim(queue))
    queue.fail(_claim(queue), error="not an image")
    assert queue.claim(timeout=quiet) is None


def test_jobs_completed_together_are_all_gone(queue: JobQueue, quiet: float) -> None:
    for n in (1, 2, 3):
        queue.publish(_event(n))
    first, second = _claim(queue), _claim(queue)
    queue.complete(first, second)
    assert _claim(queue).event == _event(3)
    assert queue.claim(timeout=quiet) is None


def test_a_retried_job_comes_back_with_the_next_attempt(queue: JobQueue) -> None:
    queue.publish(_event(1))
    job = _claim(queue)
    queue.retry(job, error="store timed out", delay=0)
    again = _claim(queue)
    assert (again.id, again.event, again.attempt) == (job.id, job.event, 2)


def test_a_delayed_retry_waits(queue: JobQueue, quiet: float) -> None:
    queue.publish(_event(1))
    queue.retry(_claim(queue), error="store timed out", delay=60)
    assert queue.claim(timeout=quiet) is None


def test_a_stale_answer_does_not_count(queue: JobQueue) -> None:
    queue.publish(_event(1))
    job = _claim(queue)
    queue.retry(job, error="x", delay=0)
    again = _claim(queue)
    queue.complete(job)  # the first delivery's late answer
    queue.retry(again, error="y", delay=0)
    assert _claim(queue).attempt == 3
