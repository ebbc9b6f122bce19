"""422 answers to bodies that fail validation: never a crash, never a password sent back."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from spotcheck.api.validation import HIDDEN, safe_errors

SECRET = "a long secret pass phrase that is over the limit " * 6  # 300 characters


@pytest.mark.parametrize(("number", "echoed"), [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf")])
def test_a_non_finite_number_gets_a_422_not_a_500(client: TestClient, number: str, echoed: str) -> None:
    body = '{"email": ' + number + ', "password": "correct horse battery"}'
    response = client.post("/auth/register", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "email"] and error["input"] == echoed


def test_a_non_finite_coordinate_of_a_spot_gets_a_422(client: TestClient, auth: dict[str, str]) -> None:
    body = '{"name": "Mole", "bodySite": {"view": "front", "x": NaN, "y": 0.5}}'
    response = client.post("/spots", content=body, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "bodySite", "x"]]
    assert client.get("/spots", headers=auth).json()["total"] == 0


def test_a_password_is_never_echoed(client: TestClient) -> None:
    too_long = client.post("/auth/register", json={"email": "ada@example.org", "password": SECRET})
    assert too_long.status_code == 422
    assert SECRET not in too_long.text and "password" in too_long.text
    form = client.post("/ui/session", data={"email": "ada@example.org", "password": SECRET})
    assert form.status_code == 422
    assert SECRET not in form.text


def test_safe_errors_hides_passwords_inside_inputs_and_keeps_the_rest() -> None:
    errors = [
        {"type": "missing", "loc": ("body", "email"), "msg": "Field required", "input": {"password": "x", "n": 1.5}},
        {"type": "string_too_long", "loc": ("body", "newPassword"), "msg": "too long", "input": "x" * 300},
        {"type": "finite_number", "loc": ("body", "x"), "msg": "not finite", "input": float("inf")},
    ]
    assert safe_errors(errors) == [
        {"type": "missing", "loc": ["body", "email"], "msg": "Field required", "input": {"password": HIDDEN, "n": 1.5}},
        {"type": "string_too_long", "loc": ["body", "newPassword"], "msg": "too long"},
        {"type": "finite_number", "loc": ["body", "x"], "msg": "not finite", "input": "inf"},
    ]


def test_a_json_body_that_is_not_text_or_too_deep_gets_the_422_of_malformed_json(
    client: TestClient, auth: dict[str, str]
) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    response = client.post("/auth/password", content=b"\x12\xff\t\xfe|", headers=headers)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["type"] == "json_invalid" and error["ctx"] == {"error": "the body is not UTF-8 text"}
    nested = client.post("/auth/password", content=b"[" * 60_000, headers=headers)  # under the 64 KiB limit
    assert nested.status_code == 422, nested.text
    assert nested.json()["detail"][0]["ctx"] == {"error": "the body is nested too deeply"}
    malformed = client.post("/auth/password", content=b"{", headers=headers)
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["type"] == "json_invalid"


PASSWORD = "my own secret pass phrase"
_NOT_TEXT = f'{{"email": "ada@example.org", "password": "{PASSWORD}", "name": "\xff\xfe"}}'.encode("latin-1")
_SURROGATE = f'{{"email": "ada@example.org", "password": "{PASSWORD}\\ud800", "name": "\\ud800"}}'.encode()
_HUGE_NUMBER = b'{"email": "ada@example.org", "password": "x", "name": "Mole", "grown": ' + b"9" * 4301 + b"}"
_BODY_ROUTES = [
    ("POST", "/auth/register"),
    ("POST", "/ui/session"),
    ("POST", "/spots"),
    ("PATCH", "/spots/nothing"),
    ("PUT", "/images/x/answers"),
    ("POST", "/auth/password"),
]


@pytest.mark.parametrize(("method", "path"), _BODY_ROUTES)
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_NOT_TEXT, "text/plain"),
        (_NOT_TEXT, "application/json"),
        (_SURROGATE, "application/json"),
        (_SURROGATE, "text/plain"),
        (_HUGE_NUMBER, "application/json"),
    ],
    ids=["not-utf8-as-text", "not-utf8-as-json", "lone-surrogate", "surrogate-as-text", "huge-integer"],
)
def test_text_that_is_not_text_gets_a_422_that_echoes_no_password_nor_the_body(
    client: TestClient,
    auth: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: bytes,
    content_type: str,
) -> None:
    response = client.request(method, path, content=body, headers={**auth, "Content-Type": content_type})
    assert response.status_code == 422, response.text
    assert PASSWORD not in response.text
    assert all(PASSWORD not in record.getMessage() and not record.exc_info for record in caplog.records)


def test_a_huge_integer_is_named_in_the_422(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/spots", content=_HUGE_NUMBER, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert "more than 4300 digits" in response.json()["detail"][0]["ctx"]["error"]


def test_safe_errors_writes_surrogates_and_bytes_as_text_and_never_echoes_a_whole_body() -> None:
    errors = [
        {"type": "string_unicode", "loc": ("body", "name"), "msg": "not text", "input": "a\ud800"},
        {"type": "model_attributes_type", "loc": ("body",), "msg": "not an object", "input": b"password=\xff"},
        {"type": "extra_forbidden", "loc": ("body", "x"), "msg": "extra", "input": {"\udc80": b"\xfe"}},
    ]
    assert safe_errors(errors) == [
        {"type": "string_unicode", "loc": ["body", "name"], "msg": "not text", "input": "a\\ud800"},
        {"type": "model_attributes_type", "loc": ["body"], "msg": "not an object"},
        {"type": "extra_forbidden", "loc": ["body", "x"], "msg": "extra", "input": {"\\udc80": "\\xfe"}},
    ]
