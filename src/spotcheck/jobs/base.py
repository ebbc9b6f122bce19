"""Object-created events and the queue that carries them to classification workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["Job", "JobQueue", "ObjectCreated"]


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
    """At-least-once delivery of events to workers, which may live in other processes.

    The SQL queue is the embedded default; a broker-backed queue implements the same methods.
    """

    def publish(self, event: ObjectCreated) -> None: ...

    def claim(self, *, timeout: float) -> Job | None:
        """The next job, leased to the caller; waits up to ``timeout`` seconds for one."""
        ...

    def complete(self, job: Job) -> None: ...

    def retry(self, job: Job, *, error: str, delay: float) -> None: ...

    def fail(self, job: Job, *, error: str) -> None:
        """Give up on the job for good."""
        ...

    def discard(self, object_key: str) -> None:
        """Forget every job of a deleted object."""
        ...

    def open_upload_ids(self) -> set[str]:
        """Upload ids that have a pending or running job."""
        ...
