"""Log lines that say which request or job they belong to, as text or as one JSON object a line.

A request's id lives in a context variable set by ``api.request_log.RequestLog``; a worker thread
binds the jobs of the batch it handles. ``ContextFilter`` copies them onto every record, whichever
logger wrote it (SpotCheck's own, uvicorn's, boto's), so a JSON line can be traced to its request
or its upload.

A client cannot write or flood the log: a text line escapes control characters (a newline in a URL
forges no line; JSON escapes them anyway), and ``RepeatLimiter`` lets an error that repeats (the
accept loop out of file descriptors, a database outage seen by every request) through once per
interval, with the count of the ones it held back.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar, Token
from typing import IO, Literal

from pythonjsonlogger.json import JsonFormatter

from spotcheck.jobs.base import Job

__all__ = [
    "TEXT_FORMAT",
    "ContextFilter",
    "LogFormat",
    "RepeatLimiter",
    "bind_jobs",
    "bind_request_id",
    "configure_logging",
    "current_request_id",
    "escape_controls",
    "job_fields",
    "log_handler",
]

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_request_id: ContextVar[str | None] = ContextVar("spotcheck_request_id", default=None)
_jobs: ContextVar[tuple[Job, ...]] = ContextVar("spotcheck_jobs", default=())


def bind_request_id(request_id: str) -> Token[str | None]:
    return _request_id.set(request_id)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_jobs(jobs: Sequence[Job]) -> None:
    """Lines this thread writes from now on name these jobs (a worker thread, per batch; ``()`` to forget)."""
    _jobs.set(tuple(jobs))


def job_fields(job: Job) -> dict[str, str]:
    """``extra=`` for a line about one job of a batch."""
    return {"job_id": job.id, "upload_id": job.event.upload_id}


class ContextFilter(logging.Filter):
    """Adds ``request_id`` or ``job_id`` and ``upload_id`` to a record that does not carry them yet."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        jobs = _jobs.get()
        if jobs and not hasattr(record, "job_id"):
            record.job_id = ",".join(job.id for job in jobs)
            record.upload_id = ",".join(job.event.upload_id for job in jobs)
        return True


# C0 and C1 controls (newline, carriage return, escape, NUL...) and the Unicode line and paragraph
# separators, which some readers also break lines at.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))} | {
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def escape_controls(text: str) -> str:
    """``text`` on one line: each control character written as its escape (``\\x0a``)."""
    return text.translate(_CONTROLS)


class _TextFormatter(logging.Formatter):
    """One record, one line: the message escaped; a traceback, if any, follows on lines of its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_controls(super().formatMessage(record))


class RepeatLimiter(logging.Filter):
    """Warnings and errors alike (same logger, level, message template and exception type) pass once
    per ``interval`` seconds; the next to pass says how many were held back since."""

    _MAX_KEYS = 1000

    def __init__(
        self, interval: float = 60.0, *, level: int = logging.WARNING, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._interval = interval
        self._level = level
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int, str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < self._level:
            return True
        exc_type = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, record.levelno, str(record.msg), exc_type)
        now = self._clock()
        with self._lock:
            passed_at, held = self._seen.get(key, (None, 0))
            if passed_at is not None and now - passed_at < self._interval:
                self._seen[key] = (passed_at, held + 1)
                return False
            if len(self._seen) >= self._MAX_KEYS:
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self._interval}
            self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} [{held} more like this held back since the last one]"
        return True


class _JsonFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            # uvicorn's coloured copy of its message would only repeat it with escape codes.
            reserved_attrs=[*_RESERVED, "color_message"],
        )


_RESERVED = list(JsonFormatter().reserved_attrs)


_HANDLER_NAME = "spotcheck"


class _Stderr(logging.StreamHandler[IO[str]]):
    """Writes to whatever ``sys.stderr`` is at the time, not the one there was at start-up (a test
    runner, for one, swaps it for each test and closes the old one)."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def log_handler(log_format: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing ``log_format`` lines, with the request or job context, to ``stream`` (stderr)."""
    handler: logging.StreamHandler[IO[str]] = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
    handler.addFilter(RepeatLimiter())
    return handler


def configure_logging(log_format: LogFormat, *, level: int = logging.INFO) -> None:
    """Send every logger's lines through one handler on the root logger, in ``log_format``.

    Calling it again replaces the handler it added before; handlers others added (a test's log
    capture, say) stay.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
    handler = log_handler(log_format)
    handler.set_name(_HANDLER_NAME)
    root.addHandler(handler)
    root.setLevel(level)
