"""Real processes: a `spotcheck worker` serves its own metrics port, and JSON log lines carry their ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import RED, image_bytes
from live_server import LiveServer, free_port
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.db import images
from spotcheck.runtime import build_runtime
from tiny_model import TINY_MODEL_VERSION

pytestmark = pytest.mark.slow


def _wait_for_metrics(url: str, process: subprocess.Popen[bytes], errors: Path, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}:\n{errors.read_text()}")
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == 200:
                return response.text
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no metrics at {url} after {timeout}s:\n{errors.read_text()}")


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _json_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_worker_process_serves_its_own_metrics_and_logs_json(settings: Settings, tmp_path: Path) -> None:
    runtime = build_runtime(settings, concurrency=0)  # the API labels nothing: the worker process must
    port = free_port()
    out, err = tmp_path / "worker.out", tmp_path / "worker.err"
    env = {
        **os.environ,
        "SPOTCHECK_DATA_DIR": str(settings.data_dir),
        "SPOTCHECK_MODEL_PATH": str(settings.model.path),
        "SPOTCHECK_JWT_SECRET": TEST_SECRET,
        "SPOTCHECK_LOG_FORMAT": "json",
    }
    with out.open("wb") as stdout, err.open("wb") as stderr:
        worker = subprocess.Popen(
            [sys.executable, "-m", "spotcheck", "worker", "--metrics-port", str(port)],
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with TestClient(create_app(runtime, sole_worker=False)) as client:
            before = _samples(_wait_for_metrics(url, worker, err))
            api_before = _samples(client.get("/metrics").text)
            auth = register_and_sign_in(client, "ada@example.org")
            assert client.put("/images/mole.jpg", content=image_bytes(RED), headers=auth).status_code == 202
            result = wait_for_label(lambda: client.get("/detect/mole.jpg", headers=auth), timeout=30)
            assert result.status_code == 200, result.text
            after = _samples(httpx.get(url, timeout=5).text)
            api = _samples(client.get("/metrics").text)
        with runtime.engine.connect() as conn:
            upload_id = conn.execute(select(images.c.upload_id)).scalar_one()
    finally:
        worker.terminate()
        worker.wait(10)
        runtime.stop()

    malignant = (
        "spotcheck_labels_total",
        frozenset({"classification": "MALIGNANT", "model_version": TINY_MODEL_VERSION}.items()),
    )
    latency = (
        "spotcheck_upload_to_label_seconds_count",
        frozenset({"outcome": "labelled", "model_version": TINY_MODEL_VERSION}.items()),
    )
    assert (before[malignant], after[malignant]) == (0, 1)
    assert (before[latency], after[latency]) == (0, 1)
    assert after[("spotcheck_model_info", frozenset({"model_version": TINY_MODEL_VERSION}.items()))] == 1
    assert ("spotcheck_queue_up", frozenset()) not in after  # the queue is the API's to report
    assert api[malignant] == api_before[malignant]  # the API process labelled nothing itself...
    assert api[("spotcheck_queue_jobs", frozenset({"state": "pending"}.items()))] == 0  # ...but sees the queue drained
    assert f"metrics on http://127.0.0.1:{port}/metrics" in out.read_text()

    lines = _json_lines(err)  # every line parses
    [job_line] = [line for line in lines if line.get("upload_id") == upload_id]
    assert job_line["message"].endswith(": labelled")
    assert job_line["job_id"].isdigit()


def test_serve_logs_json_lines_with_the_request_id(tmp_path: Path, tiny_model_path: Path) -> None:
    server = LiveServer(
        data_dir=tmp_path / "data",
        model_path=tiny_model_path,
        jwt_secret=TEST_SECRET,
        env={"SPOTCHECK_LOG_FORMAT": "json"},
    )
    with server:
        answered = httpx.get(f"{server.url}/healthz", headers={"X-Request-ID": "live-check-1"}, timeout=5)
        metrics = httpx.get(f"{server.url}/metrics", timeout=5)
    assert answered.headers["x-request-id"] == "live-check-1"
    assert metrics.status_code == 200
    assert "spotcheck_uploads_accepted_total 0.0" in metrics.text
    printed = server.log_path.read_text().splitlines()
    [banner] = [line for line in printed if not line.startswith("{")]  # stdout's one line; the rest is the log
    assert banner.startswith("SpotCheck on http://127.0.0.1:")
    lines = [json.loads(line) for line in printed if line != banner]  # every log line parses, uvicorn's included
    [access] = [line for line in lines if line.get("request_id") == "live-check-1"]
    assert (access["logger"], access["status"], access["path"]) == ("spotcheck.access", 200, "/healthz")
    assert any(line["logger"].startswith("uvicorn") for line in lines)
