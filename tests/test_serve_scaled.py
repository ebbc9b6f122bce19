"""The scaled stack as `scripts/serve-scaled.sh` starts it: READY line, direct uploads, a worker killed mid-burst."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from conftest import register_and_sign_in
from images import BLUE, RED, image_bytes
from live_server import free_port
from readme_blocks import README, readme_blocks
from spotcheck.scaled.services import free_port_pair

pytestmark = [pytest.mark.slow, pytest.mark.s3, pytest.mark.postgres]

READY_TIMEOUT = 180.0
LABEL_TIMEOUT = 120.0  # a killed worker's jobs wait for their lease (10 s here) before another takes them
BURST = 30


@pytest.fixture
def stack(tiny_model_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parents[1] / "src"),
        "SPOTCHECK_MODEL_PATH": str(tiny_model_path),
        "SPOTCHECK_JOB_LEASE_SECONDS": "10",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "spotcheck.scaled", "--port", str(free_port())],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        line = ""
        while not line.startswith("READY ") and time.monotonic() < deadline:
            readable, _, _ = select.select([process.stdout], [], [], 1.0)
            if readable:
                line = process.stdout.readline()
                if not line:
                    break
        assert line.startswith("READY "), f"no READY line (exit status {process.poll()})"
        yield process, json.loads(line.removeprefix("READY "))
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(60)
        process.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    status = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    return status != "Z"


def _send(client: httpx.Client, auth: dict[str, str], name: str, body: bytes) -> dict[str, Any]:
    grant = client.post("/uploads", json={"fileName": name}, headers=auth)
    assert grant.status_code == 201, grant.text
    form = grant.json()
    sent = httpx.post(form["uploadUrl"], data=form["fields"], files={"file": (name, body)}, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    return dict(form)


def _label(client: httpx.Client, auth: dict[str, str], name: str, *, want: str | None = None) -> httpx.Response:
    deadline = time.monotonic() + LABEL_TIMEOUT
    while True:
        response = client.get(f"/detect/{name}", headers=auth)
        finished = response.status_code == 200 and (want is None or response.json()["classification"] == want)
        if finished or response.status_code not in (200, 202, 404) or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_the_scaled_stack_labels_direct_uploads_and_survives_a_killed_worker(
    stack: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    process, ready = stack
    assert set(ready) >= {"api", "s3", "workers", "queue", "services"}
    assert ready["queue"] == "procrastinate" and len(ready["workers"]) == 2
    assert {"seaweedfs", "postgres", "api", "events"} <= set(ready["services"])
    s3 = ready["s3"]
    raw = boto3.client(
        "s3",
        endpoint_url=s3["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=s3["accessKeyId"],
        aws_secret_access_key=s3["secretAccessKey"],
        config=Config(s3={"addressing_style": "path"}),
    )
    with httpx.Client(base_url=ready["api"], timeout=30) as client:
        auth = register_and_sign_in(client, "ada@example.org")
        form = _send(client, auth, "mole.jpg", image_bytes(RED))
        result = _label(client, auth, "mole.jpg")
        assert result.status_code == 200, result.text
        assert result.json()["classification"] == "MALIGNANT"
        raw.put_object(Bucket=s3["bucket"], Key=form["objectKey"], Body=image_bytes(BLUE), ContentType="image/jpeg")
        assert _label(client, auth, "mole.jpg", want="BENIGN").json()["classification"] == "BENIGN"
        assert raw.head_object(Bucket=s3["bucket"], Key=form["objectKey"])["Metadata"]["classification"] == "BENIGN"

        victim = ready["workers"][0]
        for i in range(BURST):
            _send(client, auth, f"burst-{i}.jpg", image_bytes(RED if i % 2 else BLUE))
            if i == 5:
                os.kill(victim, signal.SIGKILL)
        results = [_label(client, auth, f"burst-{i}.jpg") for i in range(BURST)]
        assert [r.status_code for r in results] == [200] * BURST, [r.text for r in results if r.status_code != 200]
        assert [r.json()["classification"] for r in results] == [
            "MALIGNANT" if i % 2 else "BENIGN" for i in range(BURST)
        ]

    # The surviving worker counted what it labelled, with the latency histogram beside it.
    survivor = ready["metrics"]["workers"][1]
    scraped = httpx.get(survivor, timeout=10).text
    labelled = [line for line in scraped.splitlines() if line.startswith("spotcheck_labels_total{")]
    assert labelled and sum(float(line.rsplit(" ", 1)[1]) for line in labelled) >= 1
    assert "spotcheck_upload_to_label_seconds_bucket{" in scraped

    _run_the_readme_direct_upload(ready["api"])

    pids = [*ready["workers"], *ready["services"].values()]
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)  # an impatient second one must not cut the shutdown short
    assert process.wait(60) == 0
    assert not [pid for pid in pids if _alive(pid)]
    assert not Path(ready["logs"]).parent.exists()  # the temporary folder went too


def _run_the_readme_direct_upload(api: str) -> None:
    """The README's Python block, as written, in the venv's Python, from the repository root."""
    (block,) = [b for b in readme_blocks() if b.kind == "python"]
    if not (README.parent.parent / "shared" / "datasets").is_dir():
        return  # its photo lives in ../shared/datasets
    result = subprocess.run(
        [sys.executable, "-c", block.code],
        cwd=README.parent,
        env={**os.environ, "SPOTCHECK_API": api},
        capture_output=True,
        text=True,
        timeout=LABEL_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    stored, label = result.stdout.splitlines()
    assert stored == "stored: 204"
    assert label in ("MALIGNANT", "BENIGN")


def test_seaweedfs_admin_grpc_port_is_where_its_maintenance_worker_dials() -> None:
    """The worker dials the admin HTTP port + 10000 (SeaweedFS 4.48): before, it failed every few seconds."""
    port, grpc = free_port_pair(10000)
    assert grpc == port + 10000 <= 65535
    with socket.socket() as low, socket.socket() as high:  # both were free
        low.bind(("127.0.0.1", port))
        high.bind(("127.0.0.1", grpc))
