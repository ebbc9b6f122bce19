"""The job queue's depth and the age of its oldest pending job, read from the jobs table at scrape time."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from spotcheck.clock import as_utc, utc_now
from spotcheck.db.tables import jobs

__all__ = ["QueueCollector", "QueueSnapshot", "queue_snapshot"]

log = logging.getLogger(__name__)

# A scrape must not hang on a busy database: PostgreSQL gives the query this long (SQLite in WAL
# mode never blocks a reader).
_STATEMENT_TIMEOUT_MS = 2000
_OPEN = ("pending", "running")


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    pending: int
    running: int
    oldest_pending_age_seconds: float  # 0 when nothing is pending


def queue_snapshot(engine: Engine) -> QueueSnapshot:
    """One grouped query over the open jobs only, through the (status, available_at) index."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL statement_timeout = {_STATEMENT_TIMEOUT_MS}"))
        rows = conn.execute(
            select(jobs.c.status, func.count(), func.min(jobs.c.created_at))
            .where(jobs.c.status.in_(_OPEN))
            .group_by(jobs.c.status)
        ).all()
    counts = {status: (int(count), oldest) for status, count, oldest in rows}
    pending, oldest = counts.get("pending", (0, None))
    age = max((utc_now() - as_utc(oldest)).total_seconds(), 0.0) if oldest is not None else 0.0
    return QueueSnapshot(pending=pending, running=counts.get("running", (0, None))[0], oldest_pending_age_seconds=age)


class QueueCollector:
    """Collects ``spotcheck_queue_jobs{state}``, the oldest pending job's age, and whether it could tell."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("spotcheck_queue_up", "1 if the job queue could be read at this scrape, else 0.")
        try:
            snapshot = queue_snapshot(self._engine)
        except SQLAlchemyError as exc:
            log.warning("metrics: could not read the job queue (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "spotcheck_queue_jobs", "Jobs waiting (pending) or being handled (running).", labels=["state"]
        )
        depth.add_metric(["pending"], snapshot.pending)
        depth.add_metric(["running"], snapshot.running)
        yield depth
        yield GaugeMetricFamily(
            "spotcheck_queue_oldest_pending_age_seconds",
            "Seconds since the oldest pending job was published (0 when none is pending).",
            value=snapshot.oldest_pending_age_seconds,
        )
