"""Signing in with a real OpenID provider (`oidc-provider` on loopback): its tokens on the API, the page's code flow."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from conftest import TEST_SECRET, register_and_sign_in
from live_server import LiveServer, free_port
from oidc_server import CLIENT_ID, RESOURCE, OpenIdProvider, oidc_provider
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.db.tables import identities, users
from spotcheck.runtime import Runtime, build_runtime

__all__ = ["oidc_provider"]

# Loopback, so that the provider accepts the redirect URI SpotCheck derives from it (any port).
BASE_URL = "http://127.0.0.1:8765"


def _runtime(tmp_path: Path, model: Path, provider: OpenIdProvider, **extra: Any) -> Runtime:
    settings = Settings(
        data_dir=tmp_path / "data",
        model_path=model,
        jwt_secret=TEST_SECRET,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=provider.env()["SPOTCHECK_OIDC_CLIENT_SECRET"],
        oidc_audience=RESOURCE,
        **extra,
    )
    return build_runtime(settings)


@pytest.fixture
def oidc_runtime(tmp_path: Path, tiny_model_path: Path, oidc_provider: OpenIdProvider) -> Runtime:
    return _runtime(tmp_path, tiny_model_path, oidc_provider)


@pytest.fixture
def client(oidc_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(oidc_runtime), base_url=BASE_URL) as test_client:
        yield test_client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _accounts(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def test_the_providers_access_token_lists_a_new_users_empty_images(
    client: TestClient, oidc_provider: OpenIdProvider, oidc_runtime: Runtime
) -> None:
    tokens = oidc_provider.sign_in("new-user-1")
    response = client.get("/images", headers=_bearer(tokens.access_token))
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [] and response.json()["total"] == 0
    # The ID token (audience: the client) signs in the same account; no second one is made.
    assert client.get("/images", headers=_bearer(tokens.id_token)).status_code == 200
    assert _accounts(oidc_runtime) == 1
    with oidc_runtime.engine.connect() as conn:
        row = conn.execute(select(identities.c.issuer, identities.c.subject, users.c.email).join(users)).one()
    assert (row.issuer, row.subject, row.email) == (oidc_provider.issuer, "new-user-1", "new-user-1@example.org")


def test_provider_accounts_are_apart_from_each_other_and_from_password_accounts(
    client: TestClient, oidc_provider: OpenIdProvider
) -> None:
    local = register_and_sign_in(client, "ada@example.org")
    assert client.put("/images/a.png", headers=local, files={"file": ("a.png", b"x", "image/png")}).status_code in (
        202,
        415,
        422,
    )
    # The provider vouches for ada@example.org too: that does not open the password account.
    provider_token = oidc_provider.sign(oidc_provider.claims("ada", email="ada@example.org", email_verified=True))
    assert client.get("/images", headers=_bearer(provider_token)).json()["items"] == []
    other = oidc_provider.sign(oidc_provider.claims("someone-else"))
    assert client.get("/images", headers=_bearer(other)).status_code == 200


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "http://127.0.0.1:1"}, "issuer"),
        ({"aud": "https://another.test/api"}, "audience"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "expired"),
    ],
)
def test_a_token_signed_by_the_provider_with_one_wrong_claim_gets_401(
    client: TestClient, oidc_provider: OpenIdProvider, changes: dict[str, Any], reason: str
) -> None:
    good = oidc_provider.sign(oidc_provider.claims("checker"))
    assert client.get("/images", headers=_bearer(good)).status_code == 200  # the same, with no claim wrong
    response = client.get("/images", headers=_bearer(oidc_provider.sign(oidc_provider.claims("checker", **changes))))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert reason in response.json()["detail"]


def test_a_token_signed_with_a_key_the_provider_does_not_publish_gets_401(
    client: TestClient, oidc_provider: OpenIdProvider
) -> None:
    claims = oidc_provider.claims("intruder")
    for kid in ("rsa-1", "not-published"):  # a published key's kid, and a made-up one
        stranger = RSAKey.generate_key(2048, parameters={"kid": kid})
        forged = jwt.encode({"alg": "RS256", "kid": kid}, claims, stranger)
        response = client.get("/images", headers=_bearer(forged))
        assert response.status_code == 401, response.text


def test_an_unsigned_token_gets_401(client: TestClient, oidc_provider: OpenIdProvider) -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(oidc_provider.claims('intruder'))}."
    response = client.get("/images", headers=_bearer(unsigned))
    assert response.status_code == 401
    assert "alg 'none' is not accepted" in response.json()["detail"]


def test_hs256_keyed_with_the_providers_public_key_gets_401(client: TestClient, oidc_provider: OpenIdProvider) -> None:
    public_pem = oidc_provider.keys.get_by_kid("rsa-1").as_pem(private=False)
    signing_input = f"{_b64({'alg': 'HS256', 'kid': 'rsa-1'})}.{_b64(oidc_provider.claims('intruder'))}"
    mac = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    response = client.get("/images", headers=_bearer(f"{signing_input}.{mac.rstrip(b'=').decode()}"))
    assert response.status_code == 401
    assert "alg 'HS256' is not accepted" in response.json()["detail"]


def test_a_provider_token_cannot_be_signed_out_here(client: TestClient, oidc_provider: OpenIdProvider) -> None:
    token = oidc_provider.sign(oidc_provider.claims("leaver"))
    response = client.delete("/auth/sessions/current", headers=_bearer(token))
    assert response.status_code == 400
    assert "sign out or revoke it there" in response.json()["detail"]


def test_a_provider_account_has_no_password_to_change(client: TestClient, oidc_provider: OpenIdProvider) -> None:
    token = oidc_provider.sign(oidc_provider.claims("no-password"))
    body = {"currentPassword": "anything at all", "newPassword": "a longer and more varied phrase"}
    response = client.post("/auth/password", json=body, headers=_bearer(token))
    assert response.status_code == 403
    assert "has no SpotCheck password" in response.json()["detail"]


def test_an_unreachable_provider_answers_503_not_401(tmp_path: Path, tiny_model_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        model_path=tiny_model_path,
        jwt_secret=TEST_SECRET,
        oidc_issuer=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        oidc_client_id=CLIENT_ID,
    )
    with TestClient(create_app(build_runtime(settings)), base_url=BASE_URL) as client:
        token = f"{_b64({'alg': 'RS256', 'kid': 'k'})}.{_b64({'iss': settings.oidc.issuer, 'sub': 'x'})}.c2ln"
        response = client.get("/images", headers=_bearer(token))
        assert response.status_code == 503
        assert "cannot be reached" in response.json()["detail"]
        assert response.headers["retry-after"] == "5"
        assert client.get("/auth/oidc/login", follow_redirects=False).status_code == 503


def test_providers_tells_the_page_what_to_offer(client: TestClient, oidc_provider: OpenIdProvider) -> None:
    assert client.get("/auth/providers").json() == {
        "oidc": {"name": "127.0.0.1", "loginUrl": "/auth/oidc/login"},
        "localAccounts": True,
    }


def test_without_a_provider_there_is_no_provider_sign_in(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as plain:
        assert plain.get("/auth/providers").json() == {"oidc": None, "localAccounts": True}
        response = plain.get("/auth/oidc/login", follow_redirects=False)
        assert response.status_code == 404
        assert "No identity provider" in response.json()["detail"]


def test_with_local_accounts_off_passwords_answer_403_and_the_provider_still_works(
    tmp_path: Path, tiny_model_path: Path, oidc_provider: OpenIdProvider
) -> None:
    runtime = _runtime(tmp_path, tiny_model_path, oidc_provider, local_accounts=False, oidc_name="Test ID")
    with TestClient(create_app(runtime), base_url=BASE_URL) as client:
        refused = [
            client.post("/auth/register", json={"email": "ada@example.org", "password": "correct horse battery"}),
            client.post("/auth/token", data={"username": "ada@example.org", "password": "correct horse battery"}),
            client.post("/ui/session", json={"email": "ada@example.org", "password": "correct horse battery"}),
        ]
        for response in refused:
            assert response.status_code == 403
            assert response.json() == {"detail": "Passwords are switched off on this server: sign in with Test ID."}
        assert client.get("/auth/providers").json() == {
            "oidc": {"name": "Test ID", "loginUrl": "/auth/oidc/login"},
            "localAccounts": False,
        }
        token = oidc_provider.sign(oidc_provider.claims("only-provider"))
        assert client.get("/images", headers=_bearer(token)).status_code == 200


def test_the_page_signs_in_through_the_provider_with_pkce_state_and_nonce(
    client: TestClient, oidc_provider: OpenIdProvider
) -> None:
    start = client.get("/auth/oidc/login", follow_redirects=False)
    assert start.status_code == 302
    location = start.headers["location"]
    assert location.startswith(f"{oidc_provider.issuer}/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [f"{BASE_URL}/auth/oidc/callback"]
    pending_cookie = start.headers["set-cookie"]
    assert "HttpOnly" in pending_cookie and "Path=/auth/oidc" in pending_cookie and "SameSite=lax" in pending_cookie

    back = oidc_provider.complete_sign_in(location, "page-user")
    finished = client.get(back, follow_redirects=False)
    assert finished.status_code == 303, finished.text
    assert finished.headers["location"] == "/"
    assert "spotcheck_session=" in "; ".join(finished.headers.get_list("set-cookie"))
    session = client.get("/ui/session")
    assert session.status_code == 200
    assert session.json()["email"] == "page-user@example.org"
    assert client.get("/images").status_code == 200
    # The same answer from the provider cannot be used twice (its cookie is gone, the code spent).
    assert client.get(back, follow_redirects=False).status_code == 400


def test_a_callback_with_another_state_or_no_cookie_or_an_error_is_refused(
    client: TestClient, oidc_provider: OpenIdProvider
) -> None:
    location = client.get("/auth/oidc/login", follow_redirects=False).headers["location"]
    back = oidc_provider.complete_sign_in(location, "forger")
    forged_state = back.replace("state=", "state=x")
    response = client.get(forged_state, follow_redirects=False)
    assert response.status_code == 400
    assert "does not belong to this browser" in response.json()["detail"]
    assert "spotcheck_session" not in client.cookies

    # The right state with a made-up code: the provider refuses to trade it.
    made_up = back.replace("code=", "code=made-up")
    response = client.get(made_up, follow_redirects=False)
    assert response.status_code == 400
    assert "refused the sign-in (invalid_grant)" in response.json()["detail"]

    client.cookies.clear()
    response = client.get(back, follow_redirects=False)
    assert response.status_code == 400
    assert "not started in this browser" in response.json()["detail"]

    client.get("/auth/oidc/login", follow_redirects=False)
    response = client.get("/auth/oidc/callback?error=access_denied&error_description=no", follow_redirects=False)
    assert response.status_code == 400
    assert "access_denied" in response.json()["detail"]


@pytest.mark.slow
def test_a_running_spotcheck_serve_takes_the_providers_token_and_refuses_forgeries(
    tmp_path: Path, tiny_model_path: Path, oidc_provider: OpenIdProvider
) -> None:
    """As an operator would check it: `spotcheck serve` with the provider set in its environment."""
    server = LiveServer(
        data_dir=tmp_path / "live", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=oidc_provider.env()
    )
    with server as live:
        tokens = oidc_provider.sign_in("live-user")
        listed = httpx.get(f"{live.url}/images", headers=_bearer(tokens.access_token))
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == []
        stranger = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
        forged = {
            "other key": jwt.encode({"alg": "RS256", "kid": "rsa-1"}, oidc_provider.claims("live-user"), stranger),
            "other audience": oidc_provider.sign(oidc_provider.claims("live-user", aud="https://other.test")),
            "expired": oidc_provider.sign(oidc_provider.claims("live-user", exp=int(time.time()) - 600)),
            "unsigned": f"{_b64({'alg': 'none'})}.{_b64(oidc_provider.claims('live-user'))}.",
        }
        answers = {
            name: httpx.get(f"{live.url}/images", headers=_bearer(token)).status_code for name, token in forged.items()
        }
        assert answers == dict.fromkeys(forged, 401)


def test_an_opaque_access_token_is_checked_at_the_providers_userinfo(
    client: TestClient, oidc_provider: OpenIdProvider, oidc_runtime: Runtime
) -> None:
    tokens = oidc_provider.sign_in("opaque-user", opaque=True)
    assert tokens.access_token.count(".") != 2  # not a JWT: only the provider can read it
    response = client.get("/images", headers=_bearer(tokens.access_token))
    assert response.status_code == 200, response.text
    # The same account as the ID token's: one identity, issuer + subject.
    assert client.get("/images", headers=_bearer(tokens.id_token)).status_code == 200
    with oidc_runtime.engine.connect() as conn:
        subjects = conn.execute(select(identities.c.subject)).scalars().all()
    assert subjects.count("opaque-user") == 1
    # A made-up opaque token is refused by the provider, so here too.
    refused = client.get("/images", headers=_bearer("x" * 43))
    assert refused.status_code == 401
    assert "userinfo" in refused.json()["detail"]
