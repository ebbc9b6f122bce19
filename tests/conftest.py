from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

sys.path.insert(0, str(Path(__file__).parent))

from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.runtime import Runtime, build_runtime
from tiny_model import write_tiny_model

TEST_SECRET = "test-secret-" + "x" * 40
# Argon2id at its smallest cost (8 KiB, one pass): a hash takes microseconds instead of the recommended
# 64 MiB x 3 passes (about 0.09 s each here), which every registration and sign-in of a test paid.
# Only tests build a runtime with it; no setting can.
CHEAP_PASSWORD_HASH = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def gated_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with the photo gate: green photos are refused as not a lesion, others pass."""
    return write_tiny_model(tmp_path_factory.mktemp("gated-model"), gate=True)


@pytest.fixture(scope="session")
def heatmap_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The gated tiny model with the heatmap output: bright where a photo is red, dark where blue."""
    return write_tiny_model(tmp_path_factory.mktemp("heatmap-model"), gate=True, heatmap=True)


@pytest.fixture
def settings(tmp_path: Path, tiny_model_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET)


@pytest.fixture
def runtime(settings: Settings) -> Runtime:
    return build_runtime(settings, password_hash=CHEAP_PASSWORD_HASH)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


def register_and_sign_in(
    client: TestClient | httpx.Client, email: str, password: str = "correct horse battery"
) -> dict[str, str]:
    response = client.post("/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return sign_in(client, email, password)


def sign_in(client: TestClient | httpx.Client, email: str, password: str = "correct horse battery") -> dict[str, str]:
    token = client.post("/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    return register_and_sign_in(client, "ada@example.org")


@pytest.fixture
def other_auth(client: TestClient) -> dict[str, str]:
    return register_and_sign_in(client, "grace@example.org")


def eventually(check: Callable[[], bool], *, timeout: float = 30.0) -> None:
    """Wait until ``check()`` is true; fail the test if it is not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def wait_for_label(get: Callable[[], httpx.Response], *, timeout: float = 15.0) -> httpx.Response:
    """Poll GET /detect until it stops answering 202."""
    deadline = time.monotonic() + timeout
    while True:
        response = get()
        if response.status_code != 202 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)
