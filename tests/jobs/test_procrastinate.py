"""SPOTCHECK_QUEUE=procrastinate on a real PostgreSQL: the queue itself, an upload labelled by a separate
worker process, and the job of a worker killed mid-job handed to another worker."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import psycopg
import pytest

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from pg_server import postgres_server
from spotcheck.db import open_database, upgrade_database
from spotcheck.jobs import ObjectCreated
from spotcheck.jobs.procrastinate import ProcrastinateJobQueue, apply_procrastinate_schema, libpq_url
from spotcheck.observability.queue_depth import queue_snapshot
from tiny_model import write_tiny_model

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEASE_SECONDS = 3  # a killed worker's job is handed out again after about this long


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def _env(database_url: str, data_dir: Path, model: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_DEPLOYMENT": "shared",
        "SPOTCHECK_QUEUE": "procrastinate",
        "SPOTCHECK_JWT_SECRET": TEST_SECRET,
        "SPOTCHECK_DATA_DIR": str(data_dir),
        "SPOTCHECK_MODEL_PATH": str(model),
        "SPOTCHECK_WORKER_CONCURRENCY": "0",
        "SPOTCHECK_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }


def _spotcheck(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "spotcheck", *args], env=env, stdout=out, stderr=out)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_the_queue_delivers_retries_and_completes(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="procrastinate.worker")
    apply_procrastinate_schema(database_url)
    assert apply_procrastinate_schema(database_url) is False  # already there: left alone
    queue = ProcrastinateJobQueue(database_url, concurrency=2, heartbeat_seconds=0.5, stalled_after_seconds=5)
    queue.start()
    try:
        queue.publish(ObjectCreated("users/u/a.jpg", "upload-a"))
        job = queue.claim(timeout=10)
        assert job is not None and (job.event.upload_id, job.attempt) == ("upload-a", 1)
        queue.retry(job, error="store timed out", delay=0)
        again = queue.claim(timeout=10)
        assert again is not None and (again.id, again.attempt) == (job.id, 2)
        queue.complete(again)
        assert queue.claim(timeout=0.5) is None
    finally:
        queue.stop()
    assert not queue.running
    assert "store timed out" in caplog.text  # the retry's reason is logged, not dropped


def test_a_task_handed_over_while_the_queue_stops_goes_back_instead_of_waiting_forever() -> None:
    # Procrastinate may start a task just after stop() handed back the ones waiting; its thread then
    # waited for an outcome no one would give, and the interpreter could not exit.
    queue = ProcrastinateJobQueue("postgresql://127.0.0.1:1/none", concurrency=1, consume=False)
    queue.stop()
    context = SimpleNamespace(job=SimpleNamespace(id=7, attempts=0))
    outcome: list[BaseException] = []

    def task() -> None:
        try:
            queue._run_task(context, object_key="users/u/a.jpg", upload_id="upload-a")
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=task, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "the task waited for an outcome after the queue stopped"
    assert [type(exc).__name__ for exc in outcome] == ["_Shutdown"]  # Procrastinate retries it at once
    assert queue.claim(timeout=0) is None  # nor was it left where no worker thread will look


def test_db_upgrade_applies_the_schema_and_workers_label_uploads(
    database_url: str, tmp_path: Path, tiny_model_path: Path
) -> None:
    env = _env(database_url, tmp_path / "data", tiny_model_path)
    upgrade = subprocess.run(
        [sys.executable, "-m", "spotcheck", "db", "upgrade"], env=env, capture_output=True, text=True, check=False
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Procrastinate schema" in upgrade.stdout
    server_env = {k: v for k, v in env.items() if k.startswith("SPOTCHECK_") and k != "SPOTCHECK_DATA_DIR"}
    workers = [_spotcheck("worker", env=env, log=tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        with (
            LiveServer(
                data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=server_env
            ) as server,
            httpx.Client(base_url=server.url, timeout=30) as client,
        ):
            auth = register_and_sign_in(client, "engine@example.org")
            names = {f"e{i}.jpg": RED if i % 2 else BLUE for i in range(6)}
            for name, colour in names.items():
                assert client.put(f"/images/{name}", content=image_bytes(colour), headers=auth).status_code == 202
            for name, colour in names.items():
                result = wait_for_label(lambda n=name: client.get(f"/detect/{n}", headers=auth), timeout=60)
                assert result.status_code == 200, result.text
                assert result.json()["classification"] == ("MALIGNANT" if colour == RED else "BENIGN")
    finally:
        for worker in workers:
            _stop(worker)
    with psycopg.connect(libpq_url(database_url)) as conn:
        left = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'spotcheck'").fetchone()
    assert left == (0,)  # done jobs are deleted; none is left waiting


def _doing(database_url: str) -> int:
    with psycopg.connect(libpq_url(database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'").fetchone()
    return int(row[0]) if row else 0


def test_the_job_of_a_killed_worker_is_retried_by_another(
    database_url: str, tmp_path: Path, tiny_model_path: Path
) -> None:
    slow_model = write_tiny_model(tmp_path / "slow-model", busywork=3000)  # seconds per image
    data_dir = tmp_path / "data"
    env = _env(database_url, data_dir, tiny_model_path)
    assert subprocess.run([sys.executable, "-m", "spotcheck", "db", "upgrade"], env=env, check=False).returncode == 0
    server_env = {k: v for k, v in env.items() if k.startswith("SPOTCHECK_") and k != "SPOTCHECK_DATA_DIR"}
    doomed = _spotcheck("worker", env={**env, "SPOTCHECK_MODEL_PATH": str(slow_model)}, log=tmp_path / "doomed.log")
    rescuer: subprocess.Popen[bytes] | None = None
    try:
        with (
            LiveServer(data_dir=data_dir, model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=server_env) as server,
            httpx.Client(base_url=server.url, timeout=30) as client,
        ):
            auth = register_and_sign_in(client, "killed@example.org")
            assert client.put("/images/k.jpg", content=image_bytes(RED), headers=auth).status_code == 202
            deadline = time.monotonic() + 60
            while _doing(database_url) == 0:  # the doomed worker has taken the job
                assert time.monotonic() < deadline, (tmp_path / "doomed.log").read_text()
                time.sleep(0.05)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
            assert client.get("/detect/k.jpg", headers=auth).status_code == 202  # not labelled by the dead one
            rescuer = _spotcheck("worker", env=env, log=tmp_path / "rescuer.log")
            result = wait_for_label(lambda: client.get("/detect/k.jpg", headers=auth), timeout=90)
            assert result.status_code == 200, result.text
            assert result.json()["classification"] == "MALIGNANT"
    finally:
        _stop(doomed)
        if rescuer is not None:
            _stop(rescuer)
    assert "retrying job" in (tmp_path / "rescuer.log").read_text()


def test_the_queue_gauges_see_jobs_that_procrastinate_holds(database_url: str) -> None:
    """The outbox relay marks SpotCheck's row done once Procrastinate has the job: a gauge reading
    the jobs table alone said 0 pending while workers were down (the README's alert never fired)."""
    upgrade_database(database_url)
    apply_procrastinate_schema(database_url)
    engine = open_database(database_url)
    before = queue_snapshot(engine, procrastinate=True)
    queue = ProcrastinateJobQueue(database_url, concurrency=1)  # not started: no worker takes the job
    try:
        queue.publish(ObjectCreated("users/u/waiting.jpg", "upload-waiting"))
        time.sleep(1.1)
        after = queue_snapshot(engine, procrastinate=True)
    finally:
        queue.stop()
        with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:  # no later test meets it
            conn.execute("DELETE FROM procrastinate_jobs WHERE args->>'upload_id' = 'upload-waiting'")
        engine.dispose()
    assert after.pending == before.pending + 1
    assert after.oldest_pending_age_seconds >= 1.0
