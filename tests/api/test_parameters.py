"""One rule for every path and query parameter: a control character is refused with 400 (or the
route's documented 404) before anything is looked up."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from control_characters import parameter_probes
from images import BLUE, image_bytes


def test_every_parameter_refuses_nul_and_newline_with_400(client: TestClient, auth: dict[str, str]) -> None:
    probes = [*parameter_probes(client.app), *parameter_probes(client.app, "a%0Ab")]  # type: ignore[arg-type]
    assert len(probes) > 30
    for method, url in probes:
        response = client.request(method, url, headers=auth)
        assert response.status_code in (400, 404), (method, url, response.status_code, response.text)
        if response.status_code == 400:
            assert "must not contain control characters (found U+00" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "url", "name"),
    [
        ("GET", "/spots/%00", "spotId"),
        ("GET", "/detect/a%00b", "fileName"),
        ("PUT", "/images/x.jpg?spotId=%00", "spotId"),
        ("GET", "/images?limit=%00", "limit"),
    ],
)
def test_the_answer_names_the_parameter(
    client: TestClient, auth: dict[str, str], method: str, url: str, name: str
) -> None:
    response = client.request(method, url, headers=auth)
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": f"{name} must not contain control characters (found U+0000)"}


def test_a_newline_in_an_uploaded_name_is_the_naming_rules_400(client: TestClient, auth: dict[str, str]) -> None:
    response = client.put("/images/a%0Ab.jpg", content=image_bytes(BLUE), headers=auth)
    assert response.status_code == 400
    assert response.json() == {"detail": "fileName must not contain control characters (found U+000A)"}
    assert client.get("/images", headers=auth).json()["total"] == 0


def test_the_400_is_documented_where_a_parameter_is_taken(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "400" in paths["/spots/{spotId}"]["get"]["responses"]
    assert "400" in paths["/images"]["get"]["responses"]
    assert "400" not in paths["/account"]["delete"]["responses"]


def _multipart(file_name: bytes) -> bytes:
    return (
        b'--B\r\nContent-Disposition: form-data; name="fileName"\r\n\r\n' + file_name + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        + image_bytes(BLUE)
        + b"\r\n--B--\r\n"
    )


def test_a_multipart_file_name_that_is_not_utf8_follows_the_paths_rule(
    client: TestClient, auth: dict[str, str]
) -> None:
    headers = {**auth, "Content-Type": "multipart/form-data; boundary=B"}
    refused = client.post("/images", content=_multipart(b"ab\xff.jpg"), headers=headers)
    assert refused.status_code == 400
    assert refused.json() == {"detail": "fileName must be UTF-8 text; byte FF is not UTF-8"}
    assert client.put("/images/ab%FF.jpg", content=image_bytes(BLUE), headers=auth).status_code == 400
    assert client.get("/images", headers=auth).json()["total"] == 0
    accepted = client.post("/images", content=_multipart("abÿ.jpg".encode()), headers=headers)
    assert accepted.status_code == 202 and accepted.json()["fileName"] == "abÿ.jpg"
