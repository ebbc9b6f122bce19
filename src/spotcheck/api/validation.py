"""422 answers for requests that fail validation: FastAPI's usual shape, made safe to send back.

FastAPI echoes each failing value as ``input``. Some values must not go back as they came: NaN and
Infinity (valid in Python's JSON parser, not in JSON), text holding a lone surrogate (``"\\ud800"``
parses, but cannot be written as UTF-8) and bytes that are not UTF-8 (a body sent as text/plain):
each would turn the answer itself into a 500. Passwords and whole bodies are not echoed at all (a
422 is logged and shown by clients; a password, or a body holding one, belongs in neither).
"""

from __future__ import annotations

import math
import sys
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
    """``value`` with non-finite numbers, lone surrogates and raw bytes as plain text, and the values of
    password fields hidden."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", errors="backslashreplace").decode("utf-8")
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    if isinstance(value, dict):
        return {_json_safe(key): HIDDEN if _is_secret(key) else _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def safe_errors(errors: Any) -> list[dict[str, Any]]:
    """Validation errors as JSON-safe dicts; a password's own error, and an error about the whole body,
    carry no ``input``."""
    safe = []
    for raw in errors:
        error = dict(raw)
        loc = tuple(error.get("loc", ()))
        if loc == ("body",) or any(_is_secret(part) for part in loc):
            error.pop("input", None)
        # Again after encoding: an object in ``ctx`` (an exception) becomes text that may quote the input.
        safe.append(_json_safe(jsonable_encoder(_json_safe(error))))
    return safe


def unparsable_json(error: ValueError | RecursionError) -> JSONResponse:
    """A JSON body that is not text, nested too deep to parse or holding an integer too long to read:
    the 422 of any other malformed JSON (FastAPI's own answer is a bare 400)."""
    loc: list[str | int] = ["body"]
    if isinstance(error, UnicodeDecodeError):
        loc, reason = ["body", error.start], "the body is not UTF-8 text"
    elif isinstance(error, RecursionError):
        reason = "the body is nested too deeply"
    else:  # Python reads integers of at most 4,300 digits (sys.get_int_max_str_digits)
        reason = f"the body holds a number with more than {sys.get_int_max_str_digits()} digits"
    detail = [{"type": "json_invalid", "loc": loc, "msg": "JSON decode error", "input": {}, "ctx": {"error": reason}}]
    return JSONResponse({"detail": detail}, status_code=422)


def install_validation_handler(app: FastAPI) -> None:
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse({"detail": safe_errors(exc.errors())}, status_code=422)

    app.add_exception_handler(RequestValidationError, handler)
