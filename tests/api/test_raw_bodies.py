"""Raw bodies no schema-driven fuzzer sends: bytes that are not UTF-8, lone surrogates, NUL,
integers past Python's 4,300 digits, deep nesting and an oversized body, to every operation of the
OpenAPI description, signed in. No answer may be a 5xx, and the log holds no traceback."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
# Last, so that the session they end does not turn every later request into a 401.
_SIGNING_OUT = ("/auth/sessions", "/auth/sessions/current", "/ui/session", "/account")

BODIES: list[tuple[bytes, str]] = [
    (b'{"name": "\xff\xfe", "email": "a\xc0@example.org", "password": "\xed\xa0\x80"}', "application/json"),
    (b'{"name": "\xff\xfe"}', "text/plain"),
    (b'{"name": "\\ud800", "email": "\\udfff@example.org", "password": "x\\ud800"}', "application/json"),
    (b'{"name": "a\\u0000b", "email": "a\\u0000@example.org", "fileName": "a\\u0000.jpg"}', "application/json"),
    (b'{"name": "Mole", "expiresInDays": ' + b"9" * 5000 + b"}", "application/json"),
    (b'{"bodySite": {"view": "front", "x": 1e999999, "y": -1e999999}, "name": "x"}', "application/json"),
    (b"[" * 50_000 + b"]" * 50_000, "application/json"),
    (b"email=\xff%ff&password=%ed%a0%80&username=%00", "application/x-www-form-urlencoded"),
    (
        b'--B\r\nContent-Disposition: form-data; name="fileName"\r\n\r\n\xff\x00\r\n--B--\r\n',
        "multipart/form-data; boundary=B",
    ),
    (b"\x00" * 70_000, "application/octet-stream"),
]


def _operations(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    found = [
        (method.upper(), _PARAMETER.sub("x.jpg", path))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]
    return sorted(found, key=lambda op: (op[1] in _SIGNING_OUT, op[1], op[0]))


def test_no_raw_body_gets_a_server_error_from_any_operation(
    client: TestClient, auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client.post("/spots", json={"name": "Mole"}, headers=auth)
    operations = _operations(client)
    assert len(operations) > 30
    failures = []
    for method, path in operations:
        for body, content_type in BODIES:
            response = client.request(method, path, content=body, headers={**auth, "Content-Type": content_type})
            if response.status_code >= 500:
                failures.append((method, path, content_type, body[:40], response.status_code, response.text[:200]))
    assert failures == []
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
