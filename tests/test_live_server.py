from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

import live_server
from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import RED, image_bytes
from live_server import LiveServer
from live_server import free_port as _free_port

pytestmark = pytest.mark.slow


def test_real_server_labels_an_upload(tmp_path: Path, tiny_model_path: Path) -> None:
    with (
        LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        auth = register_and_sign_in(client, "live@example.org")
        assert client.put("/images/a.jpg", content=image_bytes(RED), headers=auth).status_code == 202
        result = wait_for_label(lambda: client.get("/detect/a.jpg", headers=auth))
        assert result.status_code == 200
        assert result.json()["classification"] == "MALIGNANT"
        # A load balancer's HEAD probe: the status and headers of GET, and no body on the wire.
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"HEAD /readyz HTTP/1.1\r\nHost: spotcheck\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and b"content-type: application/json" in head.lower()
        assert body == b""
        assert client.head("/healthz").status_code == 200


def test_a_port_taken_before_the_server_binds_it_is_chosen_again(
    tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program may take the port between ``free_port`` and the server's bind (a test run met it)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_port = int(taken.getsockname()[1])
        ports = iter([taken_port])
        monkeypatch.setattr(live_server, "free_port", lambda: next(ports, None) or _free_port())
        with LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET) as server:
            assert server.port != taken_port
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
