"""One user's images are invisible to every other user, and every image route needs a valid token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from conftest import TEST_SECRET, wait_for_label
from images import BLUE, RED, image_bytes
from spotcheck.auth import TokenIssuer
from spotcheck.runtime import Runtime


def _label(client: TestClient, name: str, auth: dict[str, str]) -> str:
    response = wait_for_label(lambda: client.get(f"/detect/{name}", headers=auth))
    assert response.status_code == 200, response.text
    return str(response.json()["classification"])


@pytest.mark.parametrize(("method", "path"), [("GET", "/detect/"), ("GET", "/images/"), ("DELETE", "/images/")])
def test_another_users_file_is_exactly_like_a_missing_one(
    client: TestClient, auth: dict[str, str], other_auth: dict[str, str], method: str, path: str
) -> None:
    assert client.put("/images/mine.jpg", content=image_bytes(RED), headers=auth).status_code == 202
    _label(client, "mine.jpg", auth)

    theirs = client.request(method, path + "mine.jpg", headers=other_auth)
    missing = client.request(method, path + "never-uploaded.jpg", headers=other_auth)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == {"detail": "No image named 'mine.jpg'."}
    assert missing.json() == {"detail": "No image named 'never-uploaded.jpg'."}
    assert theirs.headers.keys() == missing.headers.keys()

    # ... and the owner still has it, untouched.
    assert _label(client, "mine.jpg", auth) == "MALIGNANT"
    assert client.get("/images/mine.jpg", headers=auth).status_code == 200


def test_listing_shows_only_own_files(client: TestClient, auth: dict[str, str], other_auth: dict[str, str]) -> None:
    for name in ("a1.jpg", "a2.jpg"):
        assert client.put(f"/images/{name}", content=image_bytes(), headers=auth).status_code == 202
    assert client.put("/images/b1.jpg", content=image_bytes(), headers=other_auth).status_code == 202

    mine = client.get("/images", headers=auth).json()
    theirs = client.get("/images", headers=other_auth).json()
    assert sorted(item["fileName"] for item in mine["items"]) == ["a1.jpg", "a2.jpg"]
    assert mine["total"] == 2
    assert [item["fileName"] for item in theirs["items"]] == ["b1.jpg"]
    assert theirs["total"] == 1


def test_same_file_name_is_a_separate_image_per_user(
    client: TestClient, auth: dict[str, str], other_auth: dict[str, str], runtime: Runtime
) -> None:
    assert client.put("/images/spot.jpg", content=image_bytes(RED), headers=auth).status_code == 202
    assert _label(client, "spot.jpg", auth) == "MALIGNANT"
    a_before = client.get("/images/spot.jpg", headers=auth).content

    assert client.put("/images/spot.jpg", content=image_bytes(BLUE), headers=other_auth).status_code == 202
    assert _label(client, "spot.jpg", other_auth) == "BENIGN"

    assert _label(client, "spot.jpg", auth) == "MALIGNANT"
    assert client.get("/images/spot.jpg", headers=auth).content == a_before
    assert client.get("/images/spot.jpg", headers=other_auth).content != a_before
    keys = [info.key for info in runtime.store.list()]
    assert len(keys) == 2 and all(key.endswith("/spot.jpg") for key in keys)


_ROUTES = [
    ("PUT", "/images/x.jpg"),
    ("POST", "/images"),
    ("GET", "/images"),
    ("GET", "/images/x.jpg"),
    ("DELETE", "/images/x.jpg"),
    ("GET", "/detect/x.jpg"),
]


@pytest.mark.parametrize(("method", "path"), _ROUTES)
def test_every_image_route_needs_a_token(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, content=image_bytes() if method in ("PUT", "POST") else None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"].startswith("Sign in first: send 'Authorization: Bearer <token>'")


def _expired_token(runtime: Runtime) -> str:
    account = runtime.accounts.register(email="expired@example.org", password="correct horse battery")
    return TokenIssuer(secret=TEST_SECRET, lifetime=timedelta(minutes=-5)).issue(account.id)


def _foreign_token(runtime: Runtime) -> str:
    account = runtime.accounts.register(email="forged@example.org", password="correct horse battery")
    return TokenIssuer(secret="another-secret-" + "y" * 40, lifetime=timedelta(minutes=5)).issue(account.id)


@pytest.mark.parametrize("kind", ["garbage", "expired", "wrong-signature", "not-bearer"])
@pytest.mark.parametrize(("method", "path"), _ROUTES)
def test_a_bad_token_is_refused(client: TestClient, runtime: Runtime, kind: str, method: str, path: str) -> None:
    token = {
        "garbage": lambda: "not.a.jwt",
        "expired": lambda: _expired_token(runtime),
        "wrong-signature": lambda: _foreign_token(runtime),
        "not-bearer": lambda: "",
    }[kind]()
    header = {"Authorization": f"Bearer {token}"} if token else {"Authorization": "Basic YWRhOnB3"}
    response = client.request(
        method, path, content=image_bytes() if method in ("PUT", "POST") else None, headers=header
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    if token:
        assert response.json() == {
            "detail": "The access token is invalid, has expired or was signed out; sign in again."
        }
    assert list(runtime.store.list()) == []


def test_a_token_of_a_deleted_account_is_refused(client: TestClient, auth: dict[str, str], runtime: Runtime) -> None:
    from sqlalchemy import delete

    from spotcheck.db import users

    with runtime.engine.begin() as conn:
        conn.execute(delete(users))
    response = client.get("/images", headers=auth)
    assert response.status_code == 401
    # The account's sessions go with it (ON DELETE CASCADE), so its token names no live session.
    assert response.json() == {"detail": "The access token is invalid, has expired or was signed out; sign in again."}
