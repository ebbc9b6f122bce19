"""422 answers for requests that fail validation: FastAPI's usual shape, made safe to send back.

FastAPI echoes each failing value as ``input``. Three kinds of value must not go back as they came:
NaN and Infinity (valid in Python's JSON parser, not in JSON, so the answer itself would fail with
a 500), a body sent with a type other than JSON (FastAPI hands it on as bytes, which need not be
text: said in words instead), and passwords (a 422 is logged and shown by clients; a password does
not belong in either).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["install_validation_handler", "safe_errors", "unparsable_json"]

HIDDEN = "(hidden)"


def _is_secret(key: object) -> bool:
    return "password" in str(key).lower()


def _json_safe(value: Any) -> Any:
    """``value`` with non-finite numbers as text and the values of password fields hidden."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: HIDDEN if _is_secret(key) else _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def safe_errors(errors: Any) -> list[dict[str, Any]]:
    """Validation errors as JSON-safe dicts; a password's own error carries no ``input``."""
    safe = []
    readable = [
        {**error, "input": f"({len(error['input'])} bytes that are not JSON)"}
        if isinstance(error, dict) and isinstance(error.get("input"), bytes)
        else error
        for error in errors
    ]
    for error in jsonable_encoder(readable):
        if any(_is_secret(part) for part in error.get("loc", ())):
            error.pop("input", None)
        safe.append(_json_safe(error))
    return safe


def unparsable_json(error: UnicodeDecodeError | RecursionError) -> JSONResponse:
    """A JSON body that is not text, or nested too deep to parse: the 422 of any other malformed
    JSON (FastAPI's own answer is a bare 400)."""
    if isinstance(error, UnicodeDecodeError):
        loc: list[str | int] = ["body", error.start]
        reason = "the body is not UTF-8 text"
    else:
        loc, reason = ["body"], "the body is nested too deeply"
    detail = [{"type": "json_invalid", "loc": loc, "msg": "JSON decode error", "input": {}, "ctx": {"error": reason}}]
    return JSONResponse({"detail": detail}, status_code=422)


def install_validation_handler(app: FastAPI) -> None:
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": safe_errors(exc.errors())}, status_code=422)

    app.add_exception_handler(RequestValidationError, handler)
