"""A job queue in the SQL database: durable, shared by any worker that reaches the database."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select, update

from spotcheck.clock import utc_now
from spotcheck.db.tables import jobs
from spotcheck.jobs.base import Job, ObjectCreated

__all__ = ["SqlJobQueue"]


class SqlJobQueue:
    """Jobs are rows; claiming is a compare-and-set on their status, so workers never share one.

    A claimed job carries a lease: if its worker dies, the job is handed out again once the lease
    expires (or at once by ``release_running`` when the caller knows no other worker is alive).
    """

    _POLL_SECONDS = 0.5

    def __init__(self, engine: Engine, *, lease_seconds: float) -> None:
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self._published = threading.Condition()

    def publish(self, event: ObjectCreated) -> None:
        now = utc_now()
        with self._engine.begin() as conn:
            conn.execute(
                insert(jobs).values(
                    object_key=event.object_key,
                    upload_id=event.upload_id,
                    status="pending",
                    attempts=0,
                    available_at=now,
                    created_at=now,
                )
            )
        with self._published:
            self._published.notify_all()

    def _try_claim(self) -> Job | None:
        now = utc_now()
        with self._engine.begin() as conn:
            candidates = conn.execute(
                select(jobs.c.id, jobs.c.object_key, jobs.c.upload_id, jobs.c.attempts)
                .where(
                    ((jobs.c.status == "pending") & (jobs.c.available_at <= now))
                    | ((jobs.c.status == "running") & (jobs.c.lease_until < now))
                )
                .order_by(jobs.c.id)
                .limit(8)
            ).all()
            for row in candidates:
                claimed = conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id, jobs.c.attempts == row.attempts)
                    .values(status="running", attempts=row.attempts + 1, lease_until=now + self._lease)
                )
                if claimed.rowcount == 1:
                    return Job(str(row.id), ObjectCreated(row.object_key, row.upload_id), row.attempts + 1)
        return None

    def claim(self, *, timeout: float) -> Job | None:
        job = self._try_claim()
        if job is not None or timeout <= 0:
            return job
        # Wake at once on an in-process publish; poll for jobs other processes add.
        with self._published:
            self._published.wait(min(timeout, self._POLL_SECONDS))
        return self._try_claim()

    def _finish(self, job: Job, **values: object) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == int(job.id), jobs.c.attempts == job.attempt).values(**values))

    def complete(self, job: Job) -> None:
        self._finish(job, status="done", lease_until=None)

    def retry(self, job: Job, *, error: str, delay: float) -> None:
        self._finish(
            job,
            status="pending",
            lease_until=None,
            last_error=error,
            available_at=utc_now() + timedelta(seconds=delay),
        )

    def fail(self, job: Job, *, error: str) -> None:
        self._finish(job, status="failed", lease_until=None, last_error=error)

    def discard(self, object_key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(jobs).where(jobs.c.object_key == object_key))

    def open_upload_ids(self) -> set[str]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(jobs.c.upload_id).where(jobs.c.status.in_(("pending", "running"))))
            return {row.upload_id for row in rows}

    def release_running(self) -> int:
        """Hand every running job out again (start-up of the only worker process); returns how many."""
        with self._engine.begin() as conn:
            result = conn.execute(
                update(jobs).where(jobs.c.status == "running").values(status="pending", lease_until=None)
            )
            return int(result.rowcount)

    def prune_done(self) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(jobs).where(jobs.c.status == "done"))
