"""Decoding on a budget, against a real server: scan bombs, and too many uploads waiting for a decode."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import RED, image_bytes, scan_bomb
from live_server import LiveServer

pytestmark = pytest.mark.slow


def test_scan_bombs_are_refused_while_another_users_photo_is_labelled(tmp_path: Path, tiny_model_path: Path) -> None:
    bomb = scan_bomb()
    with (
        LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        attacker = register_and_sign_in(client, "attacker@example.org")
        patient = register_and_sign_in(client, "patient@example.org")

        def send_bomb(n: int) -> tuple[httpx.Response, float]:
            started = time.monotonic()
            with httpx.Client(base_url=server.url, timeout=60) as own:
                answer = own.put(f"/images/bomb-{n}.jpg", content=bomb, headers=attacker)
            return answer, time.monotonic() - started

        with ThreadPoolExecutor(2) as pool:
            bombs = [pool.submit(send_bomb, n) for n in range(2)]
            uploaded = time.monotonic()
            assert client.put("/images/mole.jpg", content=image_bytes(RED), headers=patient).status_code == 202
            label = wait_for_label(lambda: client.get("/detect/mole.jpg", headers=patient), timeout=15)
            assert label.status_code == 200 and time.monotonic() - uploaded < 15
            for answer, seconds in (bomb.result() for bomb in bombs):
                assert answer.status_code == 422
                assert "Save it again as an ordinary JPEG" in answer.json()["detail"]
                assert seconds < 10
        assert client.get("/detect/bomb-0.jpg", headers=attacker).status_code == 404  # nothing stored


def test_uploads_beyond_the_waiting_room_get_503_before_their_body_is_read(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    env = {"SPOTCHECK_MAX_CONCURRENT_DECODES": "1", "SPOTCHECK_MAX_WAITING_DECODES": "0"}
    photo = image_bytes(RED)

    def hold_the_only_place(url: str, auth: dict[str, str]) -> tuple[httpx.Response, threading.Event, Future[int]]:
        """An upload whose body stops after 100 bytes until released, and the answer to another one meanwhile."""
        sent, release = threading.Event(), threading.Event()

        def trickle() -> Iterator[bytes]:
            yield photo[:100]
            sent.set()
            release.wait(30)
            yield photo[100:]

        def slow() -> int:
            return httpx.put(f"{url}/images/slow.jpg", content=trickle(), headers=auth, timeout=30).status_code

        pending = pool.submit(slow)
        assert sent.wait(10)
        try:
            return httpx.put(f"{url}/images/next.jpg", content=photo, headers=auth, timeout=30), release, pending
        except BaseException:
            release.set()
            raise

    with (
        LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        ThreadPoolExecutor(1) as pool,
    ):
        auth = register_and_sign_in(client, "busy@example.org")
        for _attempt in range(20):
            # The slow upload's headers may reach the server after the second upload: then try again.
            busy, release, slow = hold_the_only_place(server.url, auth)
            release.set()
            if busy.status_code == 503:
                break
        assert busy.status_code == 503, busy.text
        assert busy.headers["Retry-After"].isdigit()
        assert "busy" in busy.json()["detail"]
        assert slow.result() == 202  # the one that held the place was stored
        assert client.put("/images/next.jpg", content=photo, headers=auth).status_code == 202
