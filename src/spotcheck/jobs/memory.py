"""A queue in this process's memory, for fast unit tests: nothing survives the process."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

from spotcheck.jobs.base import Job, ObjectCreated

__all__ = ["MemoryJobQueue"]


@dataclass
class _Entry:
    event: ObjectCreated
    attempts: int = 0
    available_at: float = 0.0
    leased: bool = False
    error: str | None = None


class MemoryJobQueue:
    """The ``JobQueue`` contract without a database: leases never expire, finished jobs are kept for inspection."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._entries: dict[str, _Entry] = {}
        self.finished: dict[str, str] = {}  # job id -> "done" or "failed"
        self._changed = threading.Condition()

    def start(self) -> None:
        """Nothing to start: claimers read the queue directly."""

    def stop(self) -> None:
        """Nothing to stop."""

    def publish(self, event: ObjectCreated) -> None:
        with self._changed:
            self._entries[str(next(self._ids))] = _Entry(event)
            self._changed.notify_all()

    def _take(self) -> Job | None:
        now = time.monotonic()
        for job_id, entry in self._entries.items():
            if not entry.leased and entry.available_at <= now:
                entry.leased = True
                entry.attempts += 1
                return Job(job_id, entry.event, entry.attempts)
        return None

    def claim(self, *, timeout: float) -> Job | None:
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._changed:
            while (job := self._take()) is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(min(left, 0.05))
            return job

    def claim_waiting(self, limit: int) -> list[Job]:
        with self._changed:
            taken: list[Job] = []
            while len(taken) < limit and (job := self._take()) is not None:
                taken.append(job)
            return taken

    def _current(self, job: Job) -> _Entry | None:
        entry = self._entries.get(job.id)
        return entry if entry is not None and entry.attempts == job.attempt else None

    def complete(self, *jobs: Job) -> None:
        with self._changed:
            for job in jobs:
                if self._current(job) is not None:
                    del self._entries[job.id]
                    self.finished[job.id] = "done"

    def retry(self, job: Job, *, error: str, delay: float) -> None:
        with self._changed:
            entry = self._current(job)
            if entry is not None:
                entry.leased, entry.error, entry.available_at = False, error, time.monotonic() + delay
                self._changed.notify_all()

    def fail(self, job: Job, *, error: str) -> None:
        with self._changed:
            entry = self._current(job)
            if entry is not None:
                del self._entries[job.id]
                self.finished[job.id] = "failed"
