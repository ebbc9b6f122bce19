"""Object-created events, the queue that carries them to classification workers, and its SQL-side upkeep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Job", "JobMaintenance", "JobQueue", "ObjectCreated"]


@dataclass(frozen=True, slots=True)
class ObjectCreated:
    """An upload was stored under ``object_key``; ``upload_id`` names that exact upload."""

    object_key: str
    upload_id: str


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    event: ObjectCreated
    attempt: int  # 1 for the first delivery


class JobQueue(Protocol):
    """At-least-once delivery of events to workers, which may live in other processes: the shape of a broker.

    The SQL table is the embedded default; an external engine (Procrastinate) implements the same methods.
    Uploads never publish directly: their job is written to the outbox in the upload's own transaction,
    and the outbox relay publishes it after the commit.

    ``claim`` hands out nothing before ``start`` (an engine may deliver only while its consumer runs);
    ``stop`` hands jobs taken but not settled back to the queue.
    """

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def publish(self, event: ObjectCreated) -> None: ...

    def claim(self, *, timeout: float) -> Job | None:
        """The next job, leased to the caller; waits up to ``timeout`` seconds for one."""
        ...

    def claim_waiting(self, limit: int) -> list[Job]:
        """Up to ``limit`` jobs already waiting, in order, each leased as by ``claim``; never waits."""
        ...

    def complete(self, *jobs: Job) -> None:
        """Done with ``jobs`` for good (one transaction where the queue has them)."""
        ...

    def retry(self, job: Job, *, error: str, delay: float) -> None:
        """Hand the job out again after ``delay`` seconds; ``error`` is recorded as the reason."""
        ...

    def fail(self, job: Job, *, error: str) -> None:
        """Give up on the job for good."""
        ...


class JobMaintenance(Protocol):
    """Upkeep of the jobs table (the outbox), which no broker has: repair at start-up and pruning."""

    def release_running(self) -> int:
        """Hand every running job out again (start-up of the only worker process); returns how many."""
        ...

    def requeue_orphans(self) -> int:
        """Give a job to every pending image that has none (written before the outbox); returns how many."""
        ...

    def prune(self) -> int:
        """Delete finished jobs whose image no longer waits for them; returns how many."""
        ...
