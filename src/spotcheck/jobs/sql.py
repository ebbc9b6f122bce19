"""The jobs table: the outbox every upload writes to, the embedded queue, and their upkeep."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, delete, exists, insert, select, update

from spotcheck.clock import Clock, utc_now
from spotcheck.db.tables import ImageStatus, JobStatus, images, jobs
from spotcheck.db.writers import serialised_writes
from spotcheck.jobs.base import Job, ObjectCreated

__all__ = ["SqlJobMaintenance", "SqlJobQueue", "add_job", "discard_jobs"]


def add_job(conn: Connection, event: ObjectCreated, *, now: datetime | None = None) -> None:
    """Write the event to the outbox inside the caller's transaction: it exists exactly when that commits."""
    now = now or utc_now()
    conn.execute(
        insert(jobs).values(
            object_key=event.object_key,
            upload_id=event.upload_id,
            status=JobStatus.PENDING,
            attempts=0,
            available_at=now,
            created_at=now,
        )
    )


def discard_jobs(conn: Connection, object_key: str) -> None:
    """Forget every job of a deleted object, inside the caller's transaction."""
    conn.execute(delete(jobs).where(jobs.c.object_key == object_key))


class SqlJobQueue:
    """Jobs are rows; claiming is a compare-and-set on their status, so workers never share one.

    A claimed job carries a lease: if its worker dies, the job is handed out again once the lease
    expires (or at once by ``SqlJobMaintenance.release_running`` when no other worker is alive).
    """

    _POLL_SECONDS = 0.5

    def __init__(self, engine: Engine, *, lease_seconds: float, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock
        self._lease = timedelta(seconds=lease_seconds)
        self._published = threading.Condition()
        self._commits = 0  # jobs committed in this process so far: a wake between look and wait is not lost

    def start(self) -> None:
        """Nothing to start: claimers read the queue directly."""

    def stop(self) -> None:
        """Nothing to stop."""

    def publish(self, event: ObjectCreated) -> None:
        with serialised_writes(self._engine), self._engine.begin() as conn:
            add_job(conn, event, now=self._clock())
        self.wake()

    def wake(self) -> None:
        """A job was committed in this process: claimers waiting here look at once instead of at the next poll."""
        with self._published:
            self._commits += 1
            self._published.notify_all()

    def _try_claim(self, limit: int = 1) -> list[Job]:
        """Up to ``limit`` jobs in one transaction: on SQLite one turn of the database's writer, not one each."""
        now = self._clock()
        claimed: list[Job] = []
        with serialised_writes(self._engine), self._engine.begin() as conn:
            candidates = conn.execute(
                select(jobs.c.id, jobs.c.object_key, jobs.c.upload_id, jobs.c.attempts)
                .where(
                    ((jobs.c.status == JobStatus.PENDING) & (jobs.c.available_at <= now))
                    | ((jobs.c.status == JobStatus.RUNNING) & (jobs.c.lease_until < now))
                )
                .order_by(jobs.c.id)
                .limit(max(limit, 8))
            ).all()
            for row in candidates:
                taken = conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id, jobs.c.attempts == row.attempts)
                    .values(status=JobStatus.RUNNING, attempts=row.attempts + 1, lease_until=now + self._lease)
                )
                if taken.rowcount == 1:
                    claimed.append(Job(str(row.id), ObjectCreated(row.object_key, row.upload_id), row.attempts + 1))
                    if len(claimed) == limit:
                        break
        return claimed

    def claim(self, *, timeout: float) -> Job | None:
        with self._published:
            seen = self._commits
        first = self._try_claim()
        if first or timeout <= 0:
            return first[0] if first else None
        # Wake at once on an in-process commit (including one made since the look above); poll for
        # jobs other processes add.
        with self._published:
            if self._commits == seen:
                self._published.wait(min(timeout, self._POLL_SECONDS))
        again = self._try_claim()
        return again[0] if again else None

    def claim_waiting(self, limit: int) -> list[Job]:
        return self._try_claim(limit) if limit > 0 else []

    def _finish(self, *settled: Job, **values: object) -> None:
        with serialised_writes(self._engine), self._engine.begin() as conn:
            for job in settled:
                where = (jobs.c.id == int(job.id)) & (jobs.c.attempts == job.attempt)
                conn.execute(update(jobs).where(where).values(**values))

    def complete(self, *jobs: Job) -> None:
        self._finish(*jobs, status=JobStatus.DONE, lease_until=None)

    def retry(self, job: Job, *, error: str, delay: float) -> None:
        self._finish(
            job,
            status=JobStatus.PENDING,
            lease_until=None,
            last_error=error,
            available_at=self._clock() + timedelta(seconds=delay),
        )

    def fail(self, job: Job, *, error: str) -> None:
        self._finish(job, status=JobStatus.FAILED, lease_until=None, last_error=error)


class SqlJobMaintenance:
    """The upkeep of the jobs table, run at start-up."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def release_running(self) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(
                update(jobs)
                .where(jobs.c.status == JobStatus.RUNNING)
                .values(status=JobStatus.PENDING, lease_until=None)
            )
            return int(result.rowcount)

    def requeue_orphans(self) -> int:
        # Since the outbox, an image row and its job commit together; only a database written by an
        # older SpotCheck (which published after the commit, and could crash in between) has orphans.
        with self._engine.begin() as conn:
            orphans = conn.execute(
                select(images.c.object_key, images.c.upload_id).where(
                    images.c.status == ImageStatus.PENDING,
                    ~exists().where(jobs.c.upload_id == images.c.upload_id),
                )
            ).all()
            for row in orphans:
                add_job(conn, ObjectCreated(row.object_key, row.upload_id))
            return len(orphans)

    def prune(self) -> int:
        waiting = exists().where(and_(images.c.upload_id == jobs.c.upload_id, images.c.status == ImageStatus.PENDING))
        with self._engine.begin() as conn:
            result = conn.execute(delete(jobs).where(jobs.c.status == JobStatus.DONE, ~waiting))
            return int(result.rowcount)
