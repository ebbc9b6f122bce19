"""The web UI's cookie session: sign-in, CSRF on state-changing requests, sign-out."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from conftest import register_and_sign_in
from images import BLUE, image_bytes
from spotcheck.api import create_app
from spotcheck.api.security import CSRF_HEADER
from spotcheck.runtime import Runtime

PASSWORD = "correct horse battery"


def _register(client: TestClient, email: str) -> None:
    assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201


def _sign_in(client: TestClient, email: str = "ada@example.org") -> str:
    response = client.post("/ui/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrfToken"])


@pytest.fixture
def csrf(client: TestClient) -> str:
    _register(client, "ada@example.org")
    return _sign_in(client)


def _set_cookie(response: Response) -> str:
    return "; ".join(response.headers.get_list("set-cookie"))


def test_sign_in_sets_an_httponly_strict_cookie_and_returns_only_a_csrf_token(client: TestClient) -> None:
    _register(client, "ada@example.org")
    response = client.post("/ui/session", json={"email": "ada@example.org", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"email", "csrfToken", "expiresIn"}
    assert body["email"] == "ada@example.org"
    assert body["expiresIn"] == 3600
    cookie = _set_cookie(response)
    assert cookie.startswith("spotcheck_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Max-Age=3600" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    token = client.cookies["spotcheck_session"]
    assert body["csrfToken"] not in token and token not in str(body)


def test_over_https_the_cookie_is_secure_and_host_prefixed(runtime: Runtime) -> None:
    with TestClient(create_app(runtime), base_url="https://testserver") as client:
        _register(client, "ada@example.org")
        response = client.post("/ui/session", json={"email": "ada@example.org", "password": PASSWORD})
        cookie = _set_cookie(response)
        assert cookie.startswith("__Host-spotcheck_session=")
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert client.get("/images").status_code == 200


def test_wrong_password_sets_no_cookie(client: TestClient) -> None:
    _register(client, "ada@example.org")
    response = client.post("/ui/session", json={"email": "ada@example.org", "password": "not the password"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password."}
    assert "set-cookie" not in response.headers
    assert client.get("/images").status_code == 401


def test_a_cross_site_form_post_cannot_sign_in(client: TestClient) -> None:
    # An HTML form can send text/plain without a CORS preflight; the session wants JSON.
    _register(client, "ada@example.org")
    body = '{"email": "ada@example.org", "password": "correct horse battery"}'
    response = client.post("/ui/session", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    assert "set-cookie" not in response.headers


def test_get_session_returns_the_same_csrf_token_after_a_reload(client: TestClient, csrf: str) -> None:
    response = client.get("/ui/session")
    assert response.status_code == 200
    assert response.json()["csrfToken"] == csrf
    assert response.json()["email"] == "ada@example.org"


def test_get_session_without_a_cookie_is_401(client: TestClient) -> None:
    response = client.get("/ui/session")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Not signed in")


def test_cookie_authenticates_reads_without_csrf(client: TestClient, csrf: str) -> None:
    response = client.get("/images")
    assert response.status_code == 200
    assert response.json()["total"] == 0


@pytest.mark.parametrize("sent", [None, "", "wrong-token"])
def test_cookie_authenticated_upload_without_the_right_csrf_header_is_403(
    client: TestClient, csrf: str, sent: str | None
) -> None:
    headers = {} if sent is None else {CSRF_HEADER: sent}
    response = client.put("/images/mole.jpg", content=image_bytes(BLUE), headers=headers)
    assert response.status_code == 403
    assert CSRF_HEADER in response.json()["detail"]
    assert client.get("/images").json()["total"] == 0


def test_cookie_authenticated_upload_and_delete_with_csrf_succeed(client: TestClient, csrf: str) -> None:
    headers = {CSRF_HEADER: csrf}
    assert client.put("/images/mole.jpg", content=image_bytes(BLUE), headers=headers).status_code == 202
    files = {"file": ("spot.png", image_bytes(BLUE, fmt="PNG"), "image/png")}
    assert client.post("/images", files=files, headers=headers).status_code == 202
    assert client.delete("/images/mole.jpg").status_code == 403
    assert client.delete("/images/mole.jpg", headers=headers).status_code == 204
    assert client.get("/images").json()["total"] == 1


def test_csrf_token_is_bound_to_its_session(client: TestClient) -> None:
    _register(client, "grace@example.org")
    _register(client, "ada@example.org")
    graces_token = _sign_in(client, "grace@example.org")
    _sign_in(client, "ada@example.org")  # replaces the cookie
    response = client.put("/images/mole.jpg", content=image_bytes(BLUE), headers={CSRF_HEADER: graces_token})
    assert response.status_code == 403


def test_bearer_clients_need_no_csrf_token(client: TestClient, auth: dict[str, str]) -> None:
    assert client.put("/images/mole.jpg", content=image_bytes(BLUE), headers=auth).status_code == 202
    assert client.delete("/images/mole.jpg", headers=auth).status_code == 204


def test_bearer_token_wins_over_the_cookie(client: TestClient, csrf: str) -> None:
    grace = register_and_sign_in(client, "grace@example.org")
    assert client.put("/images/g.jpg", content=image_bytes(BLUE), headers=grace).status_code == 202
    assert client.get("/images", headers=grace).json()["total"] == 1
    assert client.get("/images").json()["total"] == 0  # the cookie is still Ada's


def test_sign_out_needs_csrf_then_clears_the_cookie(client: TestClient, csrf: str) -> None:
    assert client.delete("/ui/session").status_code == 403
    assert client.get("/images").status_code == 200
    response = client.delete("/ui/session", headers={CSRF_HEADER: csrf})
    assert response.status_code == 204
    cookie = _set_cookie(response)
    assert cookie.startswith("spotcheck_session=") and "Max-Age=0" in cookie
    assert "spotcheck_session" not in client.cookies
    assert client.get("/images").status_code == 401


def test_tampered_cookie_is_401_and_can_still_be_cleared(client: TestClient, csrf: str) -> None:
    tampered = client.cookies["spotcheck_session"][:-4] + "AAAA"
    client.cookies.clear()
    client.cookies.set("spotcheck_session", tampered)
    response = client.get("/images")
    assert response.status_code == 401
    assert response.json()["detail"] == "Your session has expired or was signed out; sign in again."
    assert client.get("/ui/session").status_code == 401
    assert client.delete("/ui/session").status_code == 204


def test_session_of_a_deleted_account_is_refused(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as client:
        _register(client, "ada@example.org")
        _sign_in(client)
        assert client.get("/images").status_code == 200
        client.cookies.clear()
        client.cookies.set("spotcheck_session", runtime.tokens.issue("no-such-account"))
        assert client.get("/images").status_code == 401


def test_sessions_are_per_browser(client: TestClient) -> None:
    stranger = TestClient(client.app)  # a second browser: its own, empty cookie jar
    _register(client, "ada@example.org")
    csrf = _sign_in(client)
    assert client.put("/images/mole.jpg", content=image_bytes(BLUE), headers={CSRF_HEADER: csrf}).status_code == 202
    # Knowing the CSRF token is not enough without the cookie.
    response = stranger.put("/images/mole.jpg", content=image_bytes(BLUE), headers={CSRF_HEADER: csrf})
    assert response.status_code == 401


def test_after_sign_out_the_old_cookie_is_refused_even_if_replayed(client: TestClient, csrf: str) -> None:
    old_cookie = client.cookies["spotcheck_session"]
    assert client.delete("/ui/session", headers={CSRF_HEADER: csrf}).status_code == 204
    client.cookies.set("spotcheck_session", old_cookie)
    response = client.get("/images")
    assert response.status_code == 401
    assert response.json()["detail"] == "Your session has expired or was signed out; sign in again."
    assert client.get("/ui/session").status_code == 401
    assert client.put("/images/m.jpg", content=image_bytes(BLUE), headers={CSRF_HEADER: csrf}).status_code == 401
