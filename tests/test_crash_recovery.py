"""A server killed with SIGKILL loses no upload: after a restart every upload gets its label.

Approach: real ``spotcheck serve`` processes (``LiveServer``) on one data directory.

1. Uploads accepted but never classified: the first server runs with
   ``SPOTCHECK_WORKER_CONCURRENCY=0``, takes 10 uploads (all 202, pending) and is SIGKILLed. The
   SQLite database is then edited as a crash would leave it: one job "running" with a lease far
   in the future (the worker died mid-job), and one upload whose job row is missing (the process
   died between committing the upload and publishing its job). A second server with a worker
   must release the running job (it is the sole worker), re-publish the missing one, and label
   all 10 correctly (red images MALIGNANT, blue BENIGN with the tiny model).
2. Killed while the worker is busy: 30 uploads to a server with a worker (a thread, or its
   labelling process), SIGKILL right after the last one is accepted, restart, and every upload is
   labelled correctly with no job left open.
   The first server runs a slowed tiny model (about a quarter of a second per image on two cores,
   same answers), so the backlog is still there at the kill whatever the machine's speed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from spotcheck.clock import utc_now
from spotcheck.db import jobs, open_database
from tiny_model import write_tiny_model

pytestmark = pytest.mark.slow

# Big matrix products per image in the slowed model: ~0.23 s per image on the 2-core dev machine,
# so 30 images keep one worker busy for several seconds after the last upload is accepted.
_BUSYWORK = 50


@pytest.fixture(scope="module")
def slow_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("slow-model"), busywork=_BUSYWORK)


def _server(data_dir: Path, model: Path, *, workers: int, worker_process: bool = False) -> LiveServer:
    env = {"SPOTCHECK_WORKER_CONCURRENCY": str(workers), "SPOTCHECK_WORKER_PROCESS": str(worker_process).lower()}
    return LiveServer(data_dir=data_dir, model_path=model, jwt_secret=TEST_SECRET, env=env)


def _expected(index: int) -> tuple[tuple[int, int, int], str]:
    return (RED, "MALIGNANT") if index % 2 == 0 else (BLUE, "BENIGN")


def _upload_all(server: LiveServer, count: int, email: str) -> dict[str, str]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = register_and_sign_in(client, email)

        def upload(index: int) -> int:
            colour, _ = _expected(index)
            return client.put(f"/images/lesion-{index:02d}.jpg", content=image_bytes(colour), headers=auth).status_code

        # Four at a time, so uploads outpace the single worker and a backlog is there to interrupt.
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(upload, range(count))) == [202] * count
    return auth


def _assert_all_labelled(server: LiveServer, auth: dict[str, str], count: int) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for index in range(count):
            name = f"lesion-{index:02d}.jpg"
            response = wait_for_label(lambda name=name: client.get(f"/detect/{name}", headers=auth), timeout=60)
            assert response.status_code == 200, f"{name}: {response.status_code} {response.text}"
            assert response.json()["classification"] == _expected(index)[1], name
        assert client.get("/images", params={"limit": 100}, headers=auth).json()["total"] == count


def _open_statuses(data_dir: Path) -> list[str]:
    engine = open_database(f"sqlite:///{data_dir / 'spotcheck.db'}")
    try:
        with engine.connect() as conn:
            return [r.status for r in conn.execute(select(jobs.c.status)) if r.status in ("pending", "running")]
    finally:
        engine.dispose()


def test_pending_and_interrupted_jobs_survive_a_kill(tmp_path: Path, tiny_model_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _server(data_dir, tiny_model_path, workers=0).start()
    try:
        auth = _upload_all(first, 10, "crash@example.org")
    finally:
        first.kill()

    engine = open_database(f"sqlite:///{data_dir / 'spotcheck.db'}")
    try:
        with engine.begin() as conn:
            ids = [r.id for r in conn.execute(select(jobs.c.id).order_by(jobs.c.id))]
            assert len(ids) == 10
            conn.execute(
                update(jobs)
                .where(jobs.c.id == ids[3])
                .values(status="running", attempts=1, lease_until=utc_now() + timedelta(hours=1))
            )
            conn.execute(delete(jobs).where(jobs.c.id == ids[7]))
    finally:
        engine.dispose()

    with _server(data_dir, tiny_model_path, workers=1) as second:
        _assert_all_labelled(second, auth, 10)
    assert _open_statuses(data_dir) == []


@pytest.mark.parametrize("worker_process", [False, True], ids=["worker-thread", "labelling-process"])
def test_kill_while_the_worker_is_busy(
    tmp_path: Path, tiny_model_path: Path, slow_model_path: Path, worker_process: bool
) -> None:
    data_dir = tmp_path / "data"
    first = _server(data_dir, slow_model_path, workers=1, worker_process=worker_process).start()
    try:
        auth = _upload_all(first, 30, "busy@example.org")
    finally:
        first.kill()  # at once: the worker is still labelling
    assert _open_statuses(data_dir), "the worker finished before the kill; nothing was interrupted"

    with _server(data_dir, tiny_model_path, workers=1, worker_process=worker_process) as second:
        _assert_all_labelled(second, auth, 30)
    assert _open_statuses(data_dir) == []
    assert not list((data_dir / "objects").glob(".tmp-*"))
