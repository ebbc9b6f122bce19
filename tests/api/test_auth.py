"""Registration, sign-in and the JWT secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from conftest import CHEAP_PASSWORD_HASH, register_and_sign_in, sign_in
from spotcheck.api.app import create_app
from spotcheck.api.security import CSRF_HEADER
from spotcheck.config import Settings, resolve_jwt_secret
from spotcheck.runtime import Runtime, build_runtime

PASSWORD = "correct horse battery"


def test_register_then_sign_in(client: TestClient) -> None:
    response = client.post("/auth/register", json={"email": "Ada@Example.org", "password": PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"email", "message"} and body["email"] == "ada@example.org"
    assert PASSWORD not in response.text and "hash" not in response.text

    token = client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD})
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    assert token.json()["expires_in"] == 3600
    listing = client.get("/images", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert listing.status_code == 200


@pytest.mark.parametrize("second", ["ada@example.org", "ADA@EXAMPLE.ORG", "Ada@Example.Org"])
def test_registering_a_taken_address_looks_like_registering_a_new_one(client: TestClient, second: str) -> None:
    new = client.post("/auth/register", json={"email": "ada@example.org", "password": PASSWORD})
    taken = client.post("/auth/register", json={"email": second, "password": "another long phrase"})
    assert (taken.status_code, taken.json()) == (new.status_code, new.json())
    assert "set-cookie" not in taken.headers
    # The existing account is neither overwritten nor signed in by the second registration.
    assert client.post("/auth/token", data={"username": second, "password": "another long phrase"}).status_code == 401
    assert client.post("/auth/token", data={"username": second, "password": PASSWORD}).status_code == 200


def test_nfc_and_nfd_spellings_are_one_account(client: TestClient) -> None:
    nfc, nfd = "zo\u00eb@example.org", "zoe\u0308@example.org"
    assert nfc != nfd
    registered = client.post("/auth/register", json={"email": nfd.upper(), "password": PASSWORD})
    assert registered.status_code == 201 and registered.json()["email"] == nfc
    assert client.post("/auth/token", data={"username": nfc, "password": PASSWORD}).status_code == 200
    client.post("/auth/register", json={"email": nfc, "password": "another long phrase"})
    assert client.post("/auth/token", data={"username": nfd, "password": "another long phrase"}).status_code == 401


@pytest.mark.parametrize(
    ("email", "code_point"),
    [
        ("ada\u200b@example.org", "U+200B"),  # zero-width space
        ("ada@exa\u200dmple.org", "U+200D"),  # zero-width joiner
        ("\u202eada@example.org", "U+202E"),  # right-to-left override
        ("ada\x00@example.org", "U+0000"),
        ("ada\x7f@example.org", "U+007F"),
        ("ada\u00ad@example.org", "U+00AD"),  # soft hyphen
    ],
)
def test_emails_with_invisible_or_control_characters_are_refused(
    client: TestClient, email: str, code_point: str
) -> None:
    response = client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and code_point in detail and "invisible or control character" in detail
    # Signing in with one is simply wrong credentials: no account can hold such an address.
    response = client.post("/auth/token", data={"username": email, "password": PASSWORD})
    assert (response.status_code, response.json()) == (401, {"detail": "Incorrect email or password."})


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "Password must be at least 10 characters long."),
        ("password123", "Password is too easy to guess; use a longer phrase with varied characters."),
        ("aaaaaaaaaaaa", "Password is too easy to guess; use a longer phrase with varied characters."),
        ("my-grace-hopper-pw", "Password must not contain your email address."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client: TestClient, password: str, reason: str) -> None:
    response = client.post("/auth/register", json={"email": "grace-hopper@example.org", "password": password})
    assert response.status_code == 422
    assert response.json() == {"detail": reason}
    assert (
        client.post("/auth/token", data={"username": "grace-hopper@example.org", "password": password}).status_code
        == 401
    )


def test_malformed_email_is_refused(client: TestClient) -> None:
    response = client.post("/auth/register", json={"email": "not-an-email", "password": PASSWORD})
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("username", "password"),
    [("ada@example.org", "wrong horse battery"), ("nobody@example.org", PASSWORD), ("ADA@example.org", "")],
)
def test_bad_credentials_are_401_with_one_message(client: TestClient, username: str, password: str) -> None:
    assert client.post("/auth/register", json={"email": "ada@example.org", "password": PASSWORD}).status_code == 201
    response = client.post("/auth/token", data={"username": username, "password": password})
    if password == "":
        assert response.status_code == 422  # the form requires a password
        return
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password."}
    assert response.headers["www-authenticate"] == "Bearer"


def test_sign_in_is_case_insensitive_on_email(client: TestClient) -> None:
    assert client.post("/auth/register", json={"email": "ada@example.org", "password": PASSWORD}).status_code == 201
    assert client.post("/auth/token", data={"username": "ADA@Example.ORG", "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("secret", ["changeme", "CHANGETHIS", "secret", "test", "x" * 31, "   "])
def test_placeholder_jwt_secret_is_refused(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ValidationError, match="SPOTCHECK_JWT_SECRET must be a random value of at least 32 characters"):
        Settings(data_dir=tmp_path, jwt_secret=secret)


def test_placeholder_jwt_secret_is_refused_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTCHECK_JWT_SECRET", "changeme")
    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path)


def test_secret_is_generated_once_and_kept(tmp_path: Path, tiny_model_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", model_path=tiny_model_path)
    first = build_runtime(settings, concurrency=0, password_hash=CHEAP_PASSWORD_HASH)
    account = first.accounts.register(email="ada@example.org", password=PASSWORD)
    token = first.sessions.start(user_id=account.id)
    first.stop()

    secret_file = tmp_path / "data" / "jwt-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert len(secret_file.read_text().strip()) >= 32
    restarted = build_runtime(Settings(data_dir=tmp_path / "data", model_path=tiny_model_path), concurrency=0)
    assert restarted.sessions.resolve(token).user_id == account.id  # a restart does not sign everyone out
    restarted.stop()
    assert not list((tmp_path / "data").glob("*.tmp")) and not list((tmp_path / "data").glob(".jwt-secret-*"))


def test_a_damaged_secret_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "jwt-secret").write_text("short\n")
    secret = resolve_jwt_secret(Settings(data_dir=tmp_path))
    assert len(secret) >= 32 and (tmp_path / "jwt-secret").read_text().strip() == secret


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    # Many rounds: a starter that finds the file missing must never remove one another just wrote
    # (that race gave a fifth of all rounds two secrets).
    for round_ in range(50):
        data_dir = tmp_path / str(round_)
        with ThreadPoolExecutor(8) as pool:
            secrets = set(pool.map(lambda _, d=data_dir: resolve_jwt_secret(Settings(data_dir=d)), range(16)))
        assert secrets == {(data_dir / "jwt-secret").read_text().strip()}, f"round {round_}"


def test_a_configured_secret_is_used_and_not_written(tmp_path: Path) -> None:
    secret = "s" * 10 + "-configured-" + "t" * 30
    assert resolve_jwt_secret(Settings(data_dir=tmp_path, jwt_secret=secret)) == secret
    assert not (tmp_path / "jwt-secret").exists()


def test_every_token_names_its_own_recorded_session(client: TestClient, runtime: Runtime) -> None:
    auth = register_and_sign_in(client, "ada@example.org")
    again = sign_in(client, "ada@example.org")
    first, second = (runtime.tokens.verify(h["Authorization"].removeprefix("Bearer ")) for h in (auth, again))
    assert first.user_id == second.user_id and first.session_id != second.session_id
    # A correctly signed token whose session was never recorded signs no one in.
    unrecorded = runtime.tokens.issue(first.user_id)
    assert client.get("/images", headers={"Authorization": f"Bearer {unrecorded}"}).status_code == 401


def test_after_sign_out_the_old_cookie_and_the_old_bearer_token_are_401(client: TestClient) -> None:
    bearer = register_and_sign_in(client, "ada@example.org")
    other_device = sign_in(client, "ada@example.org")
    csrf = client.post("/ui/session", json={"email": "ada@example.org", "password": PASSWORD}).json()["csrfToken"]
    cookie = client.cookies["spotcheck_session"]

    assert client.delete("/ui/session", headers={CSRF_HEADER: csrf}).status_code == 204
    client.cookies.set("spotcheck_session", cookie)
    assert client.get("/images").status_code == 401
    client.cookies.clear()

    assert client.delete("/auth/sessions/current", headers=bearer).status_code == 204
    response = client.get("/images", headers=bearer)
    assert response.status_code == 401
    assert response.json()["detail"] == "The access token is invalid, has expired or was signed out; sign in again."
    assert client.get("/images", headers=other_device).status_code == 200  # only that session ended


def test_the_cookie_is_no_bearer_token_and_a_bearer_token_is_no_cookie(client: TestClient) -> None:
    bearer = register_and_sign_in(client, "ada@example.org")
    client.post("/ui/session", json={"email": "ada@example.org", "password": PASSWORD})
    cookie = client.cookies["spotcheck_session"]
    assert client.get("/images").status_code == 200
    client.cookies.clear()
    assert client.get("/images", headers={"Authorization": f"Bearer {cookie}"}).status_code == 401
    client.cookies.set("spotcheck_session", bearer["Authorization"].removeprefix("Bearer "))
    assert client.get("/images").status_code == 401


def test_sign_out_everywhere_ends_every_session_of_the_account(client: TestClient) -> None:
    ada_phone = register_and_sign_in(client, "ada@example.org")
    ada_laptop = sign_in(client, "ada@example.org")
    ada_tablet = sign_in(client, "ada@example.org")
    grace = register_and_sign_in(client, "grace@example.org")
    assert client.get("/images", headers=ada_laptop).status_code == 200

    assert client.delete("/auth/sessions", headers=ada_phone).status_code == 204
    for headers in (ada_phone, ada_laptop, ada_tablet):
        response = client.get("/images", headers=headers)
        assert response.status_code == 401
        assert response.json()["detail"] == "The access token is invalid, has expired or was signed out; sign in again."
    assert client.get("/images", headers=grace).status_code == 200  # other accounts are untouched
    assert client.get("/images", headers=sign_in(client, "ada@example.org")).status_code == 200


def test_sign_out_everywhere_from_the_page_needs_csrf_and_clears_the_cookie(client: TestClient) -> None:
    elsewhere = register_and_sign_in(client, "ada@example.org")
    csrf = client.post("/ui/session", json={"email": "ada@example.org", "password": PASSWORD}).json()["csrfToken"]
    assert client.delete("/auth/sessions").status_code == 403
    response = client.delete("/auth/sessions", headers={CSRF_HEADER: csrf})
    assert response.status_code == 204
    assert "spotcheck_session" not in client.cookies
    assert client.get("/images", headers=elsewhere).status_code == 401


def test_the_server_prepares_the_unknown_email_check_at_start_up(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[bool] = []
    monkeypatch.setattr(runtime.accounts, "prepare", lambda: prepared.append(True))
    with TestClient(create_app(runtime)):
        assert prepared == [True]
