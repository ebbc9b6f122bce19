"""The logging filter and formats, without a server."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from spotcheck.api.request_log import request_id_from
from spotcheck.jobs import Job, ObjectCreated
from spotcheck.observability.logs import RepeatLimiter, bind_jobs, job_fields, log_handler


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("spotcheck.test.logs")
    logger.setLevel(logging.INFO)
    yield logger
    logger.handlers.clear()


def _job(number: int) -> Job:
    return Job(str(number), ObjectCreated(f"users/u/{number}.jpg", f"upload-{number}"), 1)


def test_request_ids_are_sane_tokens() -> None:
    assert request_id_from("abc-123_X.y:z") == "abc-123_X.y:z"
    for bad in (None, "", "a b", "x" * 129, "a\nb", "ü"):
        made = request_id_from(bad)
        assert made != bad
        assert len(made) == 32


def test_a_batchs_lines_name_its_jobs_and_one_line_its_own(logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger.addHandler(log_handler("json", stream))
    bind_jobs([_job(1), _job(2)])
    try:
        logger.info("classifying")
        logger.info("job done", extra=job_fields(_job(2)))
    finally:
        bind_jobs(())
    logger.info("idle")
    batch, one, idle = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (batch["job_id"], batch["upload_id"]) == ("1,2", "upload-1,upload-2")
    assert (one["job_id"], one["upload_id"]) == ("2", "upload-2")
    assert "job_id" not in idle


def test_the_text_format_is_unchanged(logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger.addHandler(log_handler("text", stream))
    logger.warning("disk %s", "full")
    assert stream.getvalue().endswith(" WARNING spotcheck.test.logs: disk full\n")


def test_a_text_line_escapes_control_characters_and_keeps_its_traceback(logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger.addHandler(log_handler("text", stream))
    logger.info("GET %s 404", "/a\n2026-01-01 00:00:00 INFO spotcheck.access: GET /admin 200\r\x1b[2J\u2028")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    first, second, *traceback = stream.getvalue().splitlines()
    assert first.endswith(r"GET /a\x0a2026-01-01 00:00:00 INFO spotcheck.access: GET /admin 200\x0d\x1b[2J\u2028 404")
    assert second.endswith("failed") and traceback[0] == "Traceback (most recent call last):"


def test_a_repeated_error_passes_once_per_interval_with_a_count() -> None:
    now = [0.0]
    limiter = RepeatLimiter(60.0, clock=lambda: now[0])

    def record(msg: str, level: int = logging.ERROR) -> logging.LogRecord:
        return logging.LogRecord("asyncio", level, __file__, 1, msg, None, None)

    assert limiter.filter(record("socket.accept() out of system resource"))
    assert not any(limiter.filter(record("socket.accept() out of system resource")) for _ in range(5000))
    assert limiter.filter(record("another error"))
    assert limiter.filter(record("socket.accept() out of system resource", logging.INFO))
    now[0] = 61.0
    later = record("socket.accept() out of system resource")
    assert limiter.filter(later)
    assert (
        later.getMessage()
        == "socket.accept() out of system resource [5000 more like this held back since the last one]"
    )
    assert not limiter.filter(record("socket.accept() out of system resource"))


def test_a_flood_of_one_error_writes_one_line(logger: logging.Logger) -> None:
    stream = io.StringIO()
    logger.addHandler(log_handler("text", stream))
    for _ in range(1000):
        try:
            raise OSError(24, "Too many open files")
        except OSError:
            logger.exception("socket.accept() out of system resource")
    assert stream.getvalue().count("socket.accept()") == 1
