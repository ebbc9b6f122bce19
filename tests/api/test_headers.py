"""Security headers on every answer, no-store on personal ones, and the API docs off by default."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from images import BLUE, image_bytes
from spotcheck.api import create_app
from spotcheck.api.headers import API_CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY
from spotcheck.config import Settings
from spotcheck.runtime import Runtime, build_runtime
from spotcheck.web.headers import CONTENT_SECURITY_POLICY as PAGE_POLICY


def _assert_secured(response: Response, *, policy: str = API_CONTENT_SECURITY_POLICY) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == policy
    assert "frame-ancestors 'none'" in policy


def test_a_json_answer_carries_the_headers_and_no_store(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/images", headers=auth)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    _assert_secured(response)
    assert response.headers["cache-control"] == "no-store"


def test_an_image_answer_carries_the_headers_and_no_store(client: TestClient, auth: dict[str, str]) -> None:
    assert client.put("/images/mole.jpg", content=image_bytes(BLUE), headers=auth).status_code == 202
    response = client.get("/images/mole.jpg", headers=auth)
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    _assert_secured(response)
    assert "no-store" in response.headers["cache-control"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/images", 401), ("GET", "/nowhere", 404), ("POST", "/auth/register", 422), ("PATCH", "/healthz", 405)],
)
def test_error_answers_carry_the_headers(client: TestClient, method: str, path: str, status: int) -> None:
    response = client.request(method, path, json={})
    assert response.status_code == status
    _assert_secured(response)


def test_a_crash_answer_carries_the_headers(runtime: Runtime) -> None:
    app = create_app(runtime)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    _assert_secured(response)


@pytest.mark.parametrize("path", ["/auth/token", "/auth/register", "/detect/x.jpg", "/ui/session"])
def test_personal_answers_are_never_stored(client: TestClient, path: str) -> None:
    response = client.post(path, json={}) if path != "/detect/x.jpg" else client.get(path)
    assert response.headers["cache-control"] == "no-store"


def test_token_answers_are_never_stored(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/auth/token", data={"username": "ada@example.org", "password": "correct horse battery"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_the_page_keeps_its_own_policy(client: TestClient) -> None:
    response = client.get("/")
    _assert_secured(response, policy=PAGE_POLICY)
    assert response.headers["cache-control"] == "no-cache"


def test_api_docs_are_off_by_default(client: TestClient) -> None:
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_api_docs_when_enabled_carry_their_own_policy(settings: Settings) -> None:
    runtime = build_runtime(settings.updated(api_docs=True))
    with TestClient(create_app(runtime)) as client:
        for path in ("/docs", "/redoc"):
            response = client.get(path)
            assert response.status_code == 200
            _assert_secured(response, policy=DOCS_CONTENT_SECURITY_POLICY)
        _assert_secured(client.get("/openapi.json"))
