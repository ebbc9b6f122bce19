"""The scaled-out configuration: PostgreSQL, `serve` without workers, separate `spotcheck worker` processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from pg_server import postgres_server
from spotcheck.db import open_database
from spotcheck.jobs import ObjectCreated, SqlJobQueue

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """A fresh database per test on the shared server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


def test_concurrent_workers_never_claim_the_same_job(database_url: str) -> None:
    engine = open_database(database_url)
    queue = SqlJobQueue(engine, lease_seconds=60)
    for i in range(40):
        queue.publish(ObjectCreated(f"users/u/{i}.jpg", str(uuid.uuid4())))
    claimed: list[str] = []
    lock = threading.Lock()

    def drain() -> None:
        while (job := queue.claim(timeout=0)) is not None:
            with lock:
                claimed.append(job.id)
            queue.complete(job)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert len(claimed) == 40
    assert len(set(claimed)) == 40


def test_separate_worker_processes_label_uploads(database_url: str, tmp_path: Path, tiny_model_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_WORKER_CONCURRENCY": "0",
    }
    worker_env = {
        **os.environ,
        **env,
        "SPOTCHECK_DATA_DIR": str(data_dir),
        "SPOTCHECK_MODEL_PATH": str(tiny_model_path),
        "SPOTCHECK_JWT_SECRET": TEST_SECRET,
    }
    with LiveServer(data_dir=data_dir, model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as server:
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "spotcheck", "worker"],
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                auth = register_and_sign_in(client, "scale@example.org")
                ready = client.get("/readyz").json()
                assert ready["checks"]["worker"] == "external"
                names = {f"m{i}.jpg": RED if i % 2 else BLUE for i in range(10)}
                for name, colour in names.items():
                    assert client.put(f"/images/{name}", content=image_bytes(colour), headers=auth).status_code == 202
                for name, colour in names.items():
                    result = wait_for_label(lambda n=name: client.get(f"/detect/{n}", headers=auth), timeout=30)
                    assert result.status_code == 200, result.text
                    assert result.json()["classification"] == ("MALIGNANT" if colour == RED else "BENIGN")
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(10)
