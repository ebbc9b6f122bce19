"""POST /auth/password: proves the current password, signs out every other session, is throttled."""

from __future__ import annotations

from fastapi.testclient import TestClient

from conftest import CHEAP_PASSWORD_HASH, register_and_sign_in, sign_in
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.runtime import build_runtime

OLD = "correct horse battery"
NEW = "a longer and more varied phrase"


def _change(client: TestClient, headers: dict[str, str], current: str = OLD, new: str = NEW) -> int:
    response = client.post("/auth/password", json={"currentPassword": current, "newPassword": new}, headers=headers)
    return response.status_code


def test_a_change_keeps_this_session_and_ends_every_other(client: TestClient) -> None:
    this = register_and_sign_in(client, "ada@example.org")
    other = sign_in(client, "ada@example.org")
    assert _change(client, this) == 204
    assert client.get("/images", headers=this).status_code == 200
    assert client.get("/images", headers=other).status_code == 401
    assert client.post("/auth/token", data={"username": "ada@example.org", "password": OLD}).status_code == 401
    assert sign_in(client, "ada@example.org", NEW)


def test_from_the_page_it_needs_the_csrf_token_and_keeps_the_cookie_session(client: TestClient) -> None:
    elsewhere = register_and_sign_in(client, "ada@example.org")
    csrf = client.post("/ui/session", json={"email": "ada@example.org", "password": OLD}).json()["csrfToken"]
    assert _change(client, {}) == 403  # no CSRF header
    assert _change(client, {"X-CSRF-Token": csrf}) == 204
    assert client.get("/ui/session").status_code == 200
    assert client.get("/images", headers=elsewhere).status_code == 401


def test_a_wrong_current_password_is_403_and_changes_nothing(client: TestClient) -> None:
    headers = register_and_sign_in(client, "ada@example.org")
    response = client.post(
        "/auth/password", json={"currentPassword": "not the password", "newPassword": NEW}, headers=headers
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "The current password is not correct."}
    assert sign_in(client, "ada@example.org", OLD)


def test_a_weak_new_password_is_422_with_the_rule(client: TestClient) -> None:
    headers = register_and_sign_in(client, "ada@example.org")
    response = client.post("/auth/password", json={"currentPassword": OLD, "newPassword": "short"}, headers=headers)
    assert response.status_code == 422
    assert "at least 10 characters" in response.json()["detail"]


def test_it_needs_a_signed_in_account(client: TestClient) -> None:
    assert _change(client, {}) == 401


def test_guessing_the_current_password_is_throttled_like_sign_in(settings: Settings) -> None:
    limited = settings.updated(sign_in_failure_limit_per_account="3/15 minutes")
    with TestClient(create_app(build_runtime(limited, password_hash=CHEAP_PASSWORD_HASH))) as client:
        headers = register_and_sign_in(client, "ada@example.org")
        answers = [_change(client, headers, current=f"guess number {n}") for n in range(4)]
        assert answers == [403, 403, 403, 429]
        response = client.post("/auth/password", json={"currentPassword": OLD, "newPassword": NEW}, headers=headers)
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
