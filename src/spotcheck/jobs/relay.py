"""The outbox relay: forwards jobs committed to the jobs table to an external queue engine."""

from __future__ import annotations

import logging
import threading

from spotcheck.jobs.base import JobQueue

__all__ = ["OutboxRelay"]

log = logging.getLogger(__name__)

_RETRY_SECONDS = 2.0


class OutboxRelay:
    """Claims outbox rows like a worker would, publishes each to the engine, then marks the row done.

    Publishing happens only for rows that were committed, so the engine never sees a job whose image
    row was rolled back. A relay that dies between publishing and marking hands the row out again
    when its lease expires, and the job is delivered twice: workers treat a second delivery as done.
    Any number of relays may run (one per SpotCheck process); the claim keeps them from sharing a row.
    """

    def __init__(self, outbox: JobQueue, engine: JobQueue) -> None:
        self._outbox = outbox
        self._engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spotcheck-outbox-relay", daemon=True)

    def forward_once(self, *, timeout: float = 0.0) -> int:
        """Forward what the outbox holds now (waiting up to ``timeout`` for the first row); returns how many."""
        forwarded = 0
        while (job := self._outbox.claim(timeout=timeout if forwarded == 0 else 0)) is not None:
            try:
                self._engine.publish(job.event)
            except Exception as exc:
                log.warning("outbox relay: could not publish %s (%s); retrying", job.event.object_key, exc)
                self._outbox.retry(job, error=f"publish failed: {exc}", delay=_RETRY_SECONDS)
                break
            self._outbox.complete(job)
            forwarded += 1
        return forwarded

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.forward_once(timeout=0.5)
            except Exception as exc:  # the database is down: keep the relay alive, try again shortly
                log.warning("outbox relay: %s", exc)
                self._stop.wait(_RETRY_SECONDS)
