"""The events consumer: bucket events in, uploads recorded; a periodic reconciliation beside it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from spotcheck.error_text import first_line
from spotcheck.ingest.events import InvalidEventError, object_created_events
from spotcheck.ingest.reconcile import Reconciler
from spotcheck.ingest.service import Ingestor, IngestOutcome
from spotcheck.ingest.sources import EventSource
from spotcheck.storage import StorageError

__all__ = ["EventConsumer"]

log = logging.getLogger(__name__)

# The store or the database out of reach: the next pass tries again.
_OUTAGES = (StorageError, OperationalError, PoolTimeoutError)


class EventConsumer:
    """Handles every notification of ``source`` in order; one failed object never stops the stream.

    An object whose handling failed (the store or the database unreachable) is taken in by the next
    reconciliation pass, every ``reconcile_seconds`` (0: never) and once at start.
    """

    def __init__(
        self,
        *,
        source: EventSource,
        ingestor: Ingestor,
        reconciler: Reconciler,
        reconcile_seconds: float,
        deep_reconcile: bool = False,
    ) -> None:
        self._source = source
        self._ingestor = ingestor
        self._reconciler = reconciler
        self._reconcile_seconds = reconcile_seconds
        self._deep = deep_reconcile
        self._stopped = threading.Event()
        self._reconciling = threading.Thread(target=self._reconcile_loop, name="spotcheck-reconcile", daemon=True)

    def handle(self, document: Mapping[str, Any] | str) -> list[IngestOutcome]:
        try:
            events = object_created_events(document)
        except InvalidEventError as error:
            log.warning("skipped a bucket event: %s", error)
            return []
        outcomes = []
        for event in events:
            try:
                outcome = self._ingestor.handle(event)
            except _OUTAGES as exc:
                log.warning(
                    "could not take in %s (%s); the next reconciliation tries again", event.key, first_line(exc)
                )
                continue
            except Exception:
                log.exception("could not take in %s (the next reconciliation tries again)", event.key)
                continue
            log.info("%s: %s", event.key, outcome)
            outcomes.append(outcome)
        return outcomes

    def run(self) -> None:
        """Until ``stop`` (or the end of a finite source)."""
        self._reconciling.start()
        try:
            for document in self._source:
                if self._stopped.is_set():
                    break
                self.handle(document)
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopped.set()
        self._source.close()

    def _reconcile_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self._reconciler.run_once(deep=self._deep)
            except _OUTAGES as exc:  # routine: one line, as for every other outage
                log.warning("reconciliation failed (%s); trying again later", first_line(exc))
            except Exception:
                log.exception("reconciliation failed; trying again later")
            if self._reconcile_seconds <= 0 or self._stopped.wait(self._reconcile_seconds):
                return
