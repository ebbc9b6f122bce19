"""The logging filter and formats, without a server."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from spotcheck.api.request_log import request_id_from
from spotcheck.jobs import Job, ObjectCreated
from spotcheck.observability.logs import bind_jobs, job_fields, log_handler


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
