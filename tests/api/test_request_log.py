"""Request ids: taken from X-Request-ID when sane, else made; echoed back; on every JSON log line of the request."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import wait_for_label
from images import RED, image_bytes
from spotcheck.api import create_app
from spotcheck.db import images
from spotcheck.observability.logs import log_handler
from spotcheck.runtime import Runtime


@pytest.fixture
def json_lines(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Everything logged during the test, as SPOTCHECK_LOG_FORMAT=json writes it."""
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = log_handler("json", stream)
    logging.getLogger().addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in parsed(stream) if line["logger"] == "spotcheck.access"]


def test_a_request_gets_an_id_that_its_log_line_carries(client: TestClient, json_lines: io.StringIO) -> None:
    response = client.get("/healthz")
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0
    [line] = access_lines(json_lines)
    assert line["request_id"] == request_id
    assert line["message"] == "GET /healthz 200"
    assert (line["method"], line["path"], line["status"], line["level"]) == ("GET", "/healthz", 200, "INFO")
    assert line["duration_ms"] >= 0
    assert "timestamp" in line


def test_a_sane_incoming_id_is_kept_and_any_other_replaced(client: TestClient, json_lines: io.StringIO) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "Root=1-67891233-abcdef012345678912345678"})
    assert kept.headers["x-request-id"] == "Root=1-67891233-abcdef012345678912345678"
    sent = ['forged" "status": 200', "x" * 129, "", "a\tb", "<script>"]
    answered = [client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"] for bad in sent]
    assert all(len(new) == 32 and new not in sent for new in answered)
    assert len(set(answered)) == len(sent)
    assert [line["request_id"] for line in access_lines(json_lines)] == [kept.headers["x-request-id"], *answered]


def test_lines_written_while_handling_a_request_carry_its_id(runtime: Runtime, json_lines: io.StringIO) -> None:
    app = create_app(runtime)
    logger = logging.getLogger("spotcheck.test")

    @app.get("/_logs-something")
    def logs_something() -> dict[str, str]:  # a sync route: it runs on a worker thread
        logger.info("inside the route")
        return {}

    @app.get("/_crashes")
    def crashes() -> dict[str, str]:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/_logs-something", headers={"X-Request-ID": "req-1"})
        crashed = client.get("/_crashes")
        logger.info("outside any request")
    assert response.headers["x-request-id"] == "req-1"
    assert crashed.status_code == 500
    lines = {line["message"]: line for line in parsed(json_lines)}
    assert lines["inside the route"]["request_id"] == "req-1"
    assert lines["GET /_logs-something 200"]["request_id"] == "req-1"
    assert lines["GET /_crashes 500"]["request_id"] == crashed.headers["x-request-id"]
    assert "request_id" not in lines["outside any request"]


def test_a_workers_lines_carry_the_job_and_upload_ids(
    client: TestClient, auth: dict[str, str], runtime: Runtime, json_lines: io.StringIO
) -> None:
    upload = client.put("/images/mole.jpg", content=image_bytes(RED), headers=auth)
    assert wait_for_label(lambda: client.get("/detect/mole.jpg", headers=auth)).status_code == 200
    with runtime.engine.connect() as conn:
        upload_id = conn.execute(select(images.c.upload_id)).scalar_one()
    # The label is visible as soon as its transaction commits; the worker logs the job just after.
    deadline = time.monotonic() + 10.0
    while not (job_lines := [line for line in parsed(json_lines) if line["logger"] == "spotcheck.labelling.worker"]):
        assert time.monotonic() < deadline, "the worker logged no line for the job"
        time.sleep(0.02)
    [job_line] = job_lines
    assert job_line["message"].endswith(": labelled")
    assert job_line["upload_id"] == upload_id
    assert job_line["job_id"].isdigit()
    assert "request_id" not in job_line
    [put_line] = [line for line in access_lines(json_lines) if line["method"] == "PUT"]
    assert put_line["request_id"] == upload.headers["x-request-id"]


def test_a_newline_in_the_url_forges_no_text_line(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = log_handler("text", stream)
    logging.getLogger().addHandler(handler)
    try:
        client.get("/nothing%0A2026-01-01 00:00:00,000 INFO spotcheck.access: GET /admin 200")
    finally:
        logging.getLogger().removeHandler(handler)
    [line] = [line for line in stream.getvalue().splitlines() if " INFO spotcheck.access: GET /nothing" in line]
    assert line.endswith(r"GET /nothing\x0a2026-01-01 00:00:00,000 INFO spotcheck.access: GET /admin 200 404")
