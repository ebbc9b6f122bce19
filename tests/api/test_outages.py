"""Outages of the store or the database: quick 503s with Retry-After, a /readyz that fails fast, no lost photo.

A real SeaweedFS (its own, not the session's shared one) or a real PostgreSQL is frozen with SIGSTOP:
the kernel still accepts connections, nothing answers, as with a hung host. While frozen, uploads
must answer 503 within 15 s (the client gives up after that, which fails the test) and /readyz a
non-200 within 2 s; the server's log must hold no traceback. After SIGCONT, every accepted photo
is labelled.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import pg_server
from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from s3_server import S3Endpoint, SeaweedFS
from spotcheck.db import upgrade_database

pytestmark = pytest.mark.slow

UPLOAD_LIMIT_SECONDS = 15.0
READY_LIMIT_SECONDS = 2.0


def _upload(client: httpx.Client, auth: dict[str, str], name: str) -> httpx.Response:
    colour = RED if int(name[1:3]) % 2 else BLUE
    return client.put(f"/images/{name}", content=image_bytes(colour), headers=auth, timeout=UPLOAD_LIMIT_SECONDS)


def _outage_checks(server: LiveServer, freeze: object, thaw: object, *, labels_first: bool = True) -> None:
    """``labels_first=False`` freezes while the photos just accepted are being labelled."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = register_and_sign_in(client, "outage@example.org")
        accepted = [f"p{i:02d}.jpg" for i in range(3)]
        for name in accepted:
            assert _upload(client, auth, name).status_code == 202
        for name in accepted if labels_first else ():
            label = wait_for_label(lambda n=name: client.get(f"/detect/{n}", headers=auth), timeout=30)
            assert label.status_code == 200
        freeze()  # type: ignore[operator]
        try:
            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(lambda i: _upload(client, auth, f"f{i:02d}.jpg"), range(4)))
            assert [a.status_code for a in answers] == [503] * 4, [a.text for a in answers]
            assert all(a.headers["Retry-After"].isdigit() for a in answers)
            assert all("unavailable right now" in a.json()["detail"] for a in answers)
            ready = client.get("/readyz", timeout=READY_LIMIT_SECONDS)
            assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
        finally:
            thaw()  # type: ignore[operator]
        for i in range(3, 6):
            name = f"p{i:02d}.jpg"
            response = _upload(client, auth, name)
            for _ in range(5):  # the first calls after the thaw may still meet a cut connection
                if response.status_code != 503:
                    break
                time.sleep(1)
                response = _upload(client, auth, name)
            assert response.status_code == 202, response.text
            accepted.append(name)
        for name in accepted:
            label = wait_for_label(lambda n=name: client.get(f"/detect/{n}", headers=auth), timeout=90)
            assert label.status_code == 200, f"{name}: {label.text}"
            assert label.json()["classification"] == ("MALIGNANT" if int(name[1:3]) % 2 else "BENIGN")
        assert client.get("/readyz").status_code == 200
    log = server.log_path.read_text()
    assert "Traceback" not in log
    assert " 500 " not in log


@pytest.fixture
def seaweedfs(tmp_path: Path) -> Iterator[tuple[SeaweedFS, S3Endpoint]]:
    server = SeaweedFS(tmp_path / "seaweedfs")
    try:
        yield server, server.start()
    finally:
        server.stop()


@pytest.mark.s3
@pytest.mark.parametrize("labels_first", [True, False], ids=["idle", "while-labelling"])
def test_a_frozen_store(
    seaweedfs: tuple[SeaweedFS, S3Endpoint], tmp_path: Path, tiny_model_path: Path, labels_first: bool
) -> None:
    """While labelling, the labelling process meets the outage first, on SQLite holding the one write
    lock; the server's uploads learn of it from that process (a shared ``OutageWindow``) and answer
    503 at once when their turn comes, instead of each waiting out the store's timeouts again."""
    weed, endpoint = seaweedfs
    env = {**endpoint.env("spotcheck-outage"), "SPOTCHECK_JOB_LEASE_SECONDS": "5"}
    with LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as server:
        _outage_checks(server, weed.freeze, weed.thaw, labels_first=labels_first)


@pytest.mark.postgres
def test_a_frozen_database(tmp_path: Path, tiny_model_path: Path) -> None:
    with pg_server.postgres_server() as url:
        env = {"SPOTCHECK_DATABASE_URL": url, "SPOTCHECK_DEPLOYMENT": "shared", "SPOTCHECK_JOB_LEASE_SECONDS": "5"}
        upgrade_database(url)  # a database server is upgraded by command, never by a starting server
        with LiveServer(
            data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env
        ) as server:
            _outage_checks(server, lambda: pg_server.freeze(url), lambda: pg_server.thaw(url))
