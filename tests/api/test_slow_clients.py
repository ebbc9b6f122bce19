"""Slow and numerous clients against a real `spotcheck serve` process: half-sent requests are
dropped at the header deadline, connections beyond the cap get a plain 503 at once, a JSON body
over its limit is refused while it is still being sent, and none of it floods the log."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from conftest import TEST_SECRET, register_and_sign_in
from live_server import LiveServer
from spotcheck.api.body_limit import body_too_large_message
from spotcheck.api.server import HEADERS_TOO_SLOW, TOO_MANY_CONNECTIONS

pytestmark = pytest.mark.slow

HALF_OPEN = 300
HEADER_TIMEOUT = 10  # long enough to open every socket first on a busy machine
CAP = HALF_OPEN + 5


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, tiny_model_path: Path) -> Iterator[LiveServer]:
    env = {"SPOTCHECK_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT), "SPOTCHECK_MAX_CONNECTIONS": str(CAP)}
    data_dir = tmp_path_factory.mktemp("slow") / "data"
    with LiveServer(data_dir=data_dir, model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as server:
        yield server


def _connect(live: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live.port), timeout=5)


def _read_until_closed(sock: socket.socket, deadline: float) -> bytes:
    """Everything the server sends before it closes the connection; raises when it does not by ``deadline``."""
    received = b""
    while True:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk


def test_half_sent_requests_are_dropped_and_the_rest_are_served(live: LiveServer) -> None:
    log_size = live.log_path.stat().st_size
    with ExitStack() as sockets:
        half_open = []
        for number in range(HALF_OPEN):
            sock = sockets.enter_context(_connect(live))
            sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Number: {number}\r\n".encode())
            half_open.append(sock)
        assert httpx.get(f"{live.url}/healthz", timeout=5).status_code == 200
        extra = [sockets.enter_context(_connect(live)) for _ in range(CAP - HALF_OPEN + 5)]
        for answer in [_read_until_closed(sock, time.monotonic() + 30) for sock in extra[-4:]]:
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert TOO_MANY_CONNECTIONS.encode() in answer and b"retry-after: 5" in answer.lower()
        deadline = time.monotonic() + HEADER_TIMEOUT + 50
        dropped = [_read_until_closed(sock, deadline) for sock in half_open]
        assert all(answer.startswith(b"HTTP/1.1 408 ") and HEADERS_TOO_SLOW.encode() in answer for answer in dropped)
    assert httpx.get(f"{live.url}/healthz", timeout=5).status_code == 200
    assert live.log_path.stat().st_size - log_size < 100_000


def test_a_body_that_stops_arriving_is_dropped(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as client:
        auth = register_and_sign_in(client, "slow@example.org")["Authorization"]
    head = f"PUT /images/slow.jpg HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Length: 100000\r\n\r\n"
    with _connect(live) as sock:
        sock.sendall(head.encode() + b"\xff\xd8\xff")  # then nothing more
        _read_until_closed(sock, time.monotonic() + HEADER_TIMEOUT + 50)
    with httpx.Client(base_url=live.url, timeout=10) as client:
        assert client.get("/images", headers={"Authorization": auth}).json()["total"] == 0


def test_a_json_body_over_the_limit_is_refused_before_it_is_all_sent(live: LiveServer) -> None:
    head = "POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    chunk = b"x" * 16384
    with _connect(live) as sock:
        sock.sendall(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
        sent = 0
        while not select.select([sock], [], [], 0.5)[0]:  # a body that never ends, until an answer comes
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += 1
        answer = _read_until_closed(sock, time.monotonic() + 30)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert body_too_large_message(64 * 1024).encode() in answer
    assert sent <= 64 // 16 + 2
    with _connect(live) as sock:
        sock.sendall(f"{head}Content-Length: 30000000\r\n\r\n".encode() + b"{" + b" " * 1000)
        answer = _read_until_closed(sock, time.monotonic() + 30)
    assert answer.startswith(b"HTTP/1.1 413 ")
