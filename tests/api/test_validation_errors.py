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
    nested = client.post("/auth/password", content=b"[" * 100_000, headers=headers)
    assert nested.status_code == 422, nested.text
    assert nested.json()["detail"][0]["ctx"] == {"error": "the body is nested too deeply"}
    malformed = client.post("/auth/password", content=b"{", headers=headers)
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["type"] == "json_invalid"
