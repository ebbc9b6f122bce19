"""Jobs on Procrastinate (PostgreSQL: ``SKIP LOCKED`` to claim, ``LISTEN/NOTIFY`` to wake workers at once).

Procrastinate runs its own worker loop, which calls a task per job; SpotCheck's worker threads claim
jobs. The two meet here: the task hands its job to ``claim`` and waits until the worker settles it
(``complete``, ``retry`` or ``fail``), then tells Procrastinate the outcome. A worker process that
dies mid-job stops sending heartbeats; any other consumer finds its jobs stalled and retries them.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import procrastinate
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import make_url

from spotcheck.error_text import first_line
from spotcheck.jobs.base import Job, ObjectCreated

__all__ = ["QUEUE_NAME", "TASK_NAME", "ProcrastinateJobQueue", "apply_procrastinate_schema", "libpq_url"]

log = logging.getLogger(__name__)

QUEUE_NAME = "spotcheck"
TASK_NAME = "spotcheck.classify"


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL ``postgresql+psycopg://...`` as psycopg itself takes it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def apply_procrastinate_schema(database_url: str) -> bool:
    """Create Procrastinate's tables unless they exist; True when it created them."""
    import psycopg

    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is not None and row[0] is not None:
            return False
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=libpq_url(database_url)))
    with app.open():
        app.schema_manager.apply_schema()
    return True


@dataclass(frozen=True, slots=True)
class _Settled:
    retry_in: float | None = None  # set: retry after this many seconds
    error: str | None = None  # why it is retried, or why it was given up
    failed: bool = False  # given up for good


class _RetryLater(Exception):
    def __init__(self, delay: float, error: str) -> None:
        super().__init__(f"{error}; retry in {delay:.1f} s")
        self.delay = delay


class _GaveUp(Exception):
    pass


class _Shutdown(Exception):
    pass


class _QuietSettlements(logging.Filter):
    """A retry or a give-up that SpotCheck asked for is routine: Procrastinate logs its line with the
    reason, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], _RetryLater | _GaveUp | _Shutdown):
            record.msg, record.args = f"{record.getMessage()} ({record.exc_info[1]})", None
            record.exc_info, record.exc_text = None, None
        return True


_QUIET = _QuietSettlements()


class _SettledStrategy(BaseRetryStrategy):
    """Procrastinate retries exactly when SpotCheck's worker asked for it (or when it shut down mid-job)."""

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
        if isinstance(exception, _RetryLater):
            at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=exception.delay)
            return RetryDecision(retry_at=at)
        if isinstance(exception, _Shutdown):
            return RetryDecision(retry_at=datetime.datetime.now(datetime.UTC))
        return None


class ProcrastinateJobQueue:
    """The ``JobQueue`` on Procrastinate. With ``consume``, ``start`` runs Procrastinate's worker loop in
    this process (a process without worker threads only publishes); ``stop`` ends it and closes the
    connections."""

    def __init__(
        self,
        database_url: str,
        *,
        concurrency: int,
        heartbeat_seconds: float = 5.0,
        stalled_after_seconds: float = 30.0,
        consume: bool = True,
    ) -> None:
        logging.getLogger("procrastinate.worker").addFilter(_QUIET)  # the same filter once, however many queues
        conninfo = libpq_url(database_url)
        self._deferrer = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=conninfo))
        self._consumer = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
        self._consumer.task(name=TASK_NAME, queue=QUEUE_NAME, pass_context=True, retry=_SettledStrategy())(
            self._run_task
        )
        self._concurrency = concurrency
        self._consume_here = consume
        self._heartbeat = heartbeat_seconds
        self._stalled_after = stalled_after_seconds
        self._inbox: queue.Queue[Job] = queue.Queue()
        self._waiting: dict[str, tuple[int, Future[_Settled]]] = {}  # job id -> (attempt, its outcome)
        self._lock = threading.Lock()
        self._stopping = False  # set by stop(): a task handed over after it goes back to the queue
        self._opened = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    # --- JobQueue ---------------------------------------------------------------------------

    def publish(self, event: ObjectCreated) -> None:
        with self._lock:
            if not self._opened:
                self._deferrer.open()
                self._opened = True
        self._deferrer.configure_task(TASK_NAME, queue=QUEUE_NAME).defer(
            object_key=event.object_key, upload_id=event.upload_id
        )

    def claim(self, *, timeout: float) -> Job | None:
        try:
            return self._inbox.get(timeout=timeout) if timeout > 0 else self._inbox.get_nowait()
        except queue.Empty:
            return None

    def claim_waiting(self, limit: int) -> list[Job]:
        taken: list[Job] = []
        while len(taken) < limit and (job := self.claim(timeout=0)) is not None:
            taken.append(job)
        return taken

    def _settle(self, job: Job, outcome: _Settled) -> None:
        with self._lock:
            attempt, waiting = self._waiting.get(job.id, (None, None))
            if waiting is None or attempt != job.attempt:  # a stale answer from an earlier delivery
                return
            del self._waiting[job.id]
        if not waiting.done():
            waiting.set_result(outcome)

    def complete(self, *jobs: Job) -> None:
        for job in jobs:
            self._settle(job, _Settled())

    def retry(self, job: Job, *, error: str, delay: float) -> None:
        self._settle(job, _Settled(retry_in=delay, error=error))

    def fail(self, job: Job, *, error: str) -> None:
        self._settle(job, _Settled(error=error, failed=True))

    # --- consuming --------------------------------------------------------------------------

    def _run_task(self, context: Any, object_key: str, upload_id: str) -> None:
        """Procrastinate's task (run in one of its threads): hand the job over and wait for its outcome."""
        job = Job(str(context.job.id), ObjectCreated(object_key, upload_id), int(context.job.attempts) + 1)
        settled: Future[_Settled] = Future()
        with self._lock:
            if self._stopping:  # no worker thread would take it, and this thread would wait forever
                raise _Shutdown("SpotCheck is stopping")
            self._waiting[job.id] = (job.attempt, settled)
        self._inbox.put(job)
        outcome = settled.result()
        if outcome.retry_in is not None:
            raise _RetryLater(outcome.retry_in, outcome.error or "")
        if outcome.failed:
            raise _GaveUp(outcome.error)

    async def _retry_stalled(self) -> None:
        """Retry the jobs of worker processes that stopped sending heartbeats (killed mid-job)."""
        manager = self._consumer.job_manager
        while True:
            await asyncio.sleep(self._heartbeat)
            try:
                stalled = await manager.get_stalled_jobs(queue=QUEUE_NAME, seconds_since_heartbeat=self._stalled_after)
                for job in stalled:
                    log.info("retrying job %s of a worker that stopped (%s)", job.id, job.task_kwargs)
                    await manager.retry_job(job)
            except Exception as exc:  # the database is down: try again at the next beat
                log.warning("stalled-job check failed: %s", first_line(exc))

    async def _consume(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        async with self._consumer.open_async():
            retrier = asyncio.create_task(self._retry_stalled())
            try:
                await self._consumer.run_worker_async(
                    queues=[QUEUE_NAME],
                    concurrency=self._concurrency,
                    install_signal_handlers=False,
                    update_heartbeat_interval=self._heartbeat,
                    stalled_worker_timeout=self._stalled_after,
                    delete_jobs="successful",
                    # New jobs wake the worker at once (LISTEN/NOTIFY); retries fall due without a
                    # notification, so they are looked for this often.
                    fetch_job_polling_interval=1.0,
                )
            finally:
                retrier.cancel()

    def _run(self) -> None:
        try:
            asyncio.run(self._consume())
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the Procrastinate worker stopped")

    def start(self) -> None:
        if not self._consume_here:
            return
        self._thread = threading.Thread(target=self._run, name="spotcheck-procrastinate", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Consuming as asked: False once the worker loop of a consuming queue has stopped."""
        return not self._consume_here or (self._thread is not None and self._thread.is_alive())

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopping = True
            waiting, self._waiting = [settled for _, settled in self._waiting.values()], {}
        for settled in waiting:  # jobs no worker thread will finish: back to the queue
            if not settled.done():
                settled.set_exception(_Shutdown("SpotCheck is stopping"))
        if self._loop is not None and self._main is not None:
            self._loop.call_soon_threadsafe(self._main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._opened:
            self._deferrer.close()
            self._opened = False
