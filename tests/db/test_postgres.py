"""The scaled-out configuration: PostgreSQL, `serve` without workers, separate `spotcheck worker` processes.

A shared database is migrated only by `spotcheck db upgrade`, never by a starting server.
"""

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
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from control_characters import parameter_probes
from images import BLUE, RED, image_bytes
from legacy_schema import legacy_metadata
from live_server import LiveServer, free_port
from pg_server import postgres_server
from spotcheck.api import create_app
from spotcheck.clock import utc_now
from spotcheck.config import Settings
from spotcheck.db import SchemaBehindError, head_revision, metadata, open_database, upgrade_database, users
from spotcheck.jobs import ObjectCreated, SqlJobQueue
from spotcheck.runtime import build_runtime

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def empty_database_url(postgres_url: str) -> str:
    """A fresh, empty database per test on the shared server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A fresh database upgraded as an operator would, before any server starts."""
    upgrade_database(empty_database_url)
    return empty_database_url


def _spotcheck(*args: str, database_url: str, data_dir: Path, model_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_DEPLOYMENT": "shared",
        "SPOTCHECK_DATA_DIR": str(data_dir),
        "SPOTCHECK_MODEL_PATH": str(model_path),
        "SPOTCHECK_JWT_SECRET": TEST_SECRET,
        "SPOTCHECK_WORKER_CONCURRENCY": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "spotcheck", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_migrations_build_exactly_the_tables_module(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert list(compare_metadata(MigrationContext.configure(conn), metadata)) == []
    finally:
        engine.dispose()


def test_a_server_does_not_start_on_an_empty_database(empty_database_url: str) -> None:
    with pytest.raises(SchemaBehindError) as refused:
        open_database(empty_database_url)
    assert str(refused.value) == (
        f"the database schema is at no revision (an empty database), this SpotCheck needs {head_revision()}: "
        "run `spotcheck db upgrade`"
    )


def test_serve_refuses_a_database_from_before_migrations_until_db_upgrade(
    empty_database_url: str, tmp_path: Path, tiny_model_path: Path
) -> None:
    url = empty_database_url
    legacy = create_engine(url)
    legacy_metadata().create_all(legacy)
    with legacy.begin() as conn:
        conn.execute(insert(users).values(id="u", email="ada@example.org", password_hash="x", created_at=utc_now()))
    legacy.dispose()
    paths = {"database_url": url, "data_dir": tmp_path / "data", "model_path": tiny_model_path}

    refused = _spotcheck("serve", "--port", str(free_port()), **paths)
    assert refused.returncode == 2, refused.stderr
    assert (
        "spotcheck: the database schema is at no revision (its tables are from a SpotCheck before migrations), "
        f"this SpotCheck needs {head_revision()}: run `spotcheck db upgrade`"
    ) in refused.stderr
    assert _spotcheck("worker", **paths).returncode == 2

    upgraded = _spotcheck("db", "upgrade", **paths)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded from none (from before migrations, stamped 0001) to {head_revision()}" in upgraded.stdout
    engine = open_database(url)  # what a starting server does: it no longer refuses
    try:
        with engine.connect() as conn:
            assert conn.execute(select(users.c.email)).scalars().all() == ["ada@example.org"]
            assert list(compare_metadata(MigrationContext.configure(conn), metadata)) == []
    finally:
        engine.dispose()


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
        "SPOTCHECK_DEPLOYMENT": "shared",
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


def test_a_control_character_in_any_parameter_is_400_or_404_on_postgresql(
    database_url: str, tmp_path: Path, tiny_model_path: Path
) -> None:
    settings = Settings(
        deployment="shared",
        database_url=database_url,
        data_dir=tmp_path / "data",
        model_path=tiny_model_path,
        jwt_secret=TEST_SECRET,
        worker_concurrency=0,
    )
    with TestClient(create_app(build_runtime(settings))) as client:
        auth = register_and_sign_in(client, "ada@example.org")
        probes = [*parameter_probes(client.app), *parameter_probes(client.app, "%00")]  # type: ignore[arg-type]
        for method, url in [*probes, ("GET", "/spots/%00"), ("GET", "/detect/a%00b"), ("PUT", "/images/x?spotId=%00")]:
            response = client.request(method, url, headers=auth)
            assert response.status_code in (400, 404), (method, url, response.status_code, response.text)
