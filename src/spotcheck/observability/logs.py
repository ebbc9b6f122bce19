"""Log lines that say which request or job they belong to, as text or as one JSON object a line.

A request's id lives in a context variable set by ``api.request_log.RequestLog``; a worker thread
binds the jobs of the batch it handles. ``ContextFilter`` copies them onto every record, whichever
logger wrote it (SpotCheck's own, uvicorn's, boto's), so a JSON line can be traced to its request
or its upload.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from contextvars import ContextVar, Token
from typing import IO, Literal

from pythonjsonlogger.json import JsonFormatter

from spotcheck.jobs.base import Job

__all__ = [
    "TEXT_FORMAT",
    "ContextFilter",
    "LogFormat",
    "bind_jobs",
    "bind_request_id",
    "configure_logging",
    "current_request_id",
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
    handler.setFormatter(_JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
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
