"""The job queue's depth and the age of its oldest pending job, read from the database at scrape time.

On the SQL queue the jobs table holds every job. With Procrastinate it is only the outbox: its
relay marks a row done once Procrastinate has the job, so Procrastinate's own jobs count as well
(its "todo" as pending, its "doing" as running, the age from when the job was deferred).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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


# Procrastinate's open jobs of SpotCheck's queue, by SpotCheck's names for their states.
_PROCRASTINATE_OPEN = text(
    """
    SELECT CASE j.status WHEN 'todo' THEN 'pending' ELSE 'running' END, count(*), min(e.at)
    FROM procrastinate_jobs j
    LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
    WHERE j.queue_name = :queue AND j.status IN ('todo', 'doing')
    GROUP BY j.status
    """
)


def queue_snapshot(engine: Engine, *, procrastinate: bool = False) -> QueueSnapshot:
    """Grouped queries over the open jobs only (the jobs table through its (status, available_at)
    index; Procrastinate's jobs too when it runs them)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"SET LOCAL statement_timeout = {_STATEMENT_TIMEOUT_MS}"))
        rows = list(
            conn.execute(
                select(jobs.c.status, func.count(), func.min(jobs.c.created_at))
                .where(jobs.c.status.in_(_OPEN))
                .group_by(jobs.c.status)
            ).all()
        )
        if procrastinate:
            from spotcheck.jobs.procrastinate import QUEUE_NAME

            rows += conn.execute(_PROCRASTINATE_OPEN, {"queue": QUEUE_NAME}).all()
    count = {status: 0 for status in _OPEN}
    oldest: dict[str, datetime] = {}
    for status, number, first in rows:
        count[status] += int(number)
        if first is not None:
            oldest[status] = min(oldest.get(status, as_utc(first)), as_utc(first))
    first_pending = oldest.get("pending")
    age = max((utc_now() - first_pending).total_seconds(), 0.0) if first_pending is not None else 0.0
    return QueueSnapshot(pending=count["pending"], running=count["running"], oldest_pending_age_seconds=age)


class QueueCollector:
    """Collects ``spotcheck_queue_jobs{state}``, the oldest pending job's age, and whether it could tell."""

    def __init__(self, engine: Engine, *, procrastinate: bool = False) -> None:
        self._engine = engine
        self._procrastinate = procrastinate

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("spotcheck_queue_up", "1 if the job queue could be read at this scrape, else 0.")
        try:
            snapshot = queue_snapshot(self._engine, procrastinate=self._procrastinate)
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
