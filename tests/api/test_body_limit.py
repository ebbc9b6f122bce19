"""Every request body has a limit, enforced while it is read: 64 KiB for JSON and forms, the upload
limit for images."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from images import BLUE, image_bytes
from spotcheck.api.body_limit import body_too_large_message

LIMIT = 64 * 1024
JSON = {"Content-Type": "application/json"}


def _padded(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    head = b'{"email": "ada@example.org", "password": "correct horse battery", "pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def test_a_30_mb_json_body_gets_413_with_a_plain_message(client: TestClient) -> None:
    response = client.post("/auth/register", content=_padded(30_000_000), headers=JSON)
    assert response.status_code == 413
    assert response.json() == {"detail": body_too_large_message(LIMIT)}


def test_a_chunked_body_without_a_length_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(1000):
            yield b"x" * 16 * 1024

    response = client.post("/auth/register", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert response.json() == {"detail": body_too_large_message(LIMIT)}


def test_a_body_at_the_limit_still_reaches_the_route(client: TestClient) -> None:
    response = client.post("/auth/register", content=_padded(LIMIT), headers=JSON)
    assert response.status_code == 422  # the route's own answer: "pad" is no field of the request
    assert response.json()["detail"][0]["loc"] == ["body", "pad"]
    assert client.post("/auth/register", content=_padded(LIMIT + 1), headers=JSON).status_code == 413


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/images/x.jpg/answers"), ("POST", "/spots"), ("POST", "/ui/session")]
)
def test_signed_in_json_routes_have_the_limit_too(
    client: TestClient, auth: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method, path, content=_padded(LIMIT + 1), headers={**auth, **JSON})
    assert response.status_code == 413


def test_image_uploads_keep_their_own_limit(client: TestClient, auth: dict[str, str]) -> None:
    photo = image_bytes(BLUE) + b"\0" * (2 * LIMIT)  # trailing bytes after the image are tolerated
    assert len(photo) > LIMIT
    put = client.put("/images/big.jpg", content=photo, headers=auth)
    assert put.status_code == 202, put.text
    posted = client.post("/images", files={"file": ("big.jpg", photo, "image/jpeg")}, headers=auth)
    assert posted.status_code == 202, posted.text
