"""Throttled sign-in and registration, and the bound on password hashing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from pwdlib import PasswordHash
from pydantic import ValidationError
from sqlalchemy import create_engine

from conftest import register_and_sign_in
from spotcheck.api import create_app
from spotcheck.auth import AccountService, HashingBusyError, InvalidCredentialsError, PasswordHasher
from spotcheck.config import Settings
from spotcheck.db import metadata
from spotcheck.runtime import Runtime, build_runtime

PASSWORD = "correct horse battery"


@contextmanager
def _client(settings: Settings, **limits: object) -> Iterator[TestClient]:
    runtime = build_runtime(settings.updated(**limits))
    with TestClient(create_app(runtime)) as client:
        yield client


def _assert_throttled(response: Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "try again in" in detail


def test_thirty_quick_wrong_passwords_end_in_429(client: TestClient) -> None:
    register_and_sign_in(client, "ada@example.org")
    statuses = [
        client.post("/auth/token", data={"username": "ada@example.org", "password": f"guess number {n}"}).status_code
        for n in range(30)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert statuses.count(401) == 10  # the default: 10 failures per address and account per 15 minutes
    last = client.post("/auth/token", data={"username": "ADA@example.org", "password": "guess again"})
    _assert_throttled(last)
    assert "for this account from your network" in last.json()["detail"]
    # From this address even the password waits; other accounts are not affected.
    _assert_throttled(client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD}))
    register_and_sign_in(client, "grace@example.org")


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out(client: TestClient) -> None:
    register_and_sign_in(client, "ada@example.org")
    stranger = TestClient(client.app, client=("203.0.113.9", 40000))
    for n in range(30):
        stranger.post("/auth/token", data={"username": "ada@example.org", "password": f"guess {n}"})
    _assert_throttled(stranger.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD}))
    owner = client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD})
    assert owner.status_code == 200, owner.text
    page = client.post("/ui/session", json={"email": "ada@example.org", "password": PASSWORD})
    assert page.status_code == 200, page.text


def test_guesses_spread_over_many_addresses_meet_the_accounts_ceiling(settings: Settings) -> None:
    with _client(settings, sign_in_failure_limit_per_account="12/15 minutes") as client:
        register_and_sign_in(client, "ada@example.org")
        for n in range(12):  # a few guesses each from many addresses, under the limit of each address
            guesser = TestClient(client.app, client=(f"198.51.100.{n}", 40000))
            assert guesser.post("/auth/token", data={"username": "ada@example.org", "password": "x"}).status_code == 401
        refused = client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD})
        _assert_throttled(refused)
        assert refused.json()["detail"].startswith("Too many failed sign-ins for this account;")


def test_the_page_and_the_token_share_one_count(client: TestClient) -> None:
    register_and_sign_in(client, "ada@example.org")
    for _ in range(10):
        response = client.post("/ui/session", json={"email": "ada@example.org", "password": "not the password"})
        assert response.status_code == 401
    _assert_throttled(client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD}))
    _assert_throttled(client.post("/ui/session", json={"email": "ada@example.org", "password": PASSWORD}))


def test_successful_sign_ins_do_not_lock_the_owner_out(client: TestClient) -> None:
    register_and_sign_in(client, "ada@example.org")
    for _ in range(15):
        assert client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD}).status_code == 200


def test_sign_in_is_limited_by_client_address(settings: Settings) -> None:
    with _client(settings, sign_in_limit_per_address="5/minute") as client:
        for n in range(5):  # a different, unknown account each time: only the address ties them together
            response = client.post("/auth/token", data={"username": f"u{n}@example.org", "password": PASSWORD})
            assert response.status_code == 401
        response = client.post("/auth/token", data={"username": "u9@example.org", "password": PASSWORD})
        _assert_throttled(response)
        assert "from your network" in response.json()["detail"]


def test_register_is_limited_by_address_and_by_account(settings: Settings) -> None:
    with _client(settings, register_limit_per_address="4/hour", register_limit_per_account="2/hour") as client:

        def register(email: str) -> Response:
            return client.post("/auth/register", json={"email": email, "password": PASSWORD})

        assert [register("ada@example.org").status_code for _ in range(2)] == [201, 201]
        _assert_throttled(
            register("ada@example.org")
        )  # the account's limit (a refused try still counts for the address)
        assert register("bob@example.org").status_code == 201
        refused = register("eve@example.org")  # the address's limit: the fifth try
        _assert_throttled(refused)
        assert "from your network" in refused.json()["detail"]


def test_a_limit_that_is_not_a_limit_is_refused_at_start_up(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="'lots' is not a rate limit"):
        Settings(data_dir=settings.data_dir, sign_in_limit_per_address="lots")


def test_hashing_waits_for_a_slot_then_answers_retry_later() -> None:
    hasher = PasswordHasher(max_concurrent=1, wait_seconds=0.05)
    stored = hasher.hash(PASSWORD)
    with hasher._slot():  # every slot taken, as by a flood of sign-ins
        with pytest.raises(HashingBusyError) as caught:
            hasher.verify(PASSWORD, stored)
        assert caught.value.retry_after == 1
    assert hasher.verify(PASSWORD, stored)  # the slot is back once released


def test_no_more_than_the_allowed_hashes_run_at_once() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    class Watched(PasswordHasher):
        def hash(self, password: str) -> str:
            with self._slot():
                nonlocal running, peak
                with lock:
                    running += 1
                    peak = max(peak, running)
                try:
                    return _plain_hash(password)
                finally:
                    with lock:
                        running -= 1

    hasher = Watched(max_concurrent=2, wait_seconds=30)
    threads = [threading.Thread(target=hasher.hash, args=(f"phrase {n} long enough",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert peak == 2


def _plain_hash(password: str) -> str:
    return PasswordHash.recommended().hash(password)


def test_a_busy_hasher_answers_503_with_retry_after(settings: Settings) -> None:
    runtime: Runtime = build_runtime(settings.updated(password_hash_wait_seconds=0.05))
    with TestClient(create_app(runtime)) as client:
        register_and_sign_in(client, "ada@example.org")
        hasher = runtime.accounts._hasher
        with hasher._slot(), hasher._slot():  # both default slots taken
            response = client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD})
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.json() == {"detail": "The server is busy checking passwords; try again in a moment."}


def test_an_unknown_account_costs_one_verification_like_a_known_one() -> None:
    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, password: str, password_hash: str) -> bool:
            calls.append(password_hash)
            return super().verify(password, password_hash)

    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    accounts = AccountService(engine, hasher=Counting())
    accounts.register(email="ada@example.org", password=PASSWORD)
    for email in ("ada@example.org", "nobody@example.org"):
        with pytest.raises(InvalidCredentialsError):
            accounts.authenticate(email=email, password="not the password")
    assert len(calls) == 2 and calls[0] != calls[1]
