"""One rule for every path and query parameter: no control characters, NUL included.

A name, an id or a token never holds one, and PostgreSQL refuses NUL in text outright, so each
is refused with 400 before any route looks it up. The message is the file-naming rule's, with
the parameter's own name (``fileName must not contain control characters (found U+000A)``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from fastapi import Request

__all__ = ["InvalidParameterError", "document_parameter_refusal", "refuse_control_characters"]


class InvalidParameterError(ValueError):
    """A path or query parameter holds a control character; the message names both."""


def _first_control(value: str) -> str | None:
    return next((char for char in value if unicodedata.category(char) == "Cc"), None)


def refuse_control_characters(request: Request) -> None:
    """App-wide dependency: InvalidParameterError (400) for a control character in any parameter."""
    parameters = [*request.path_params.items(), *request.query_params.multi_items()]
    for name, value in parameters:
        char = _first_control(f"{name}{value}")
        if char is not None:
            raise InvalidParameterError(
                f"{_printable(name)} must not contain control characters (found U+{ord(char):04X})"
            )


def _printable(name: str) -> str:
    return "".join(c if unicodedata.category(c) != "Cc" else f"\\x{ord(c):02x}" for c in name) or "A parameter"


_REFUSED: dict[str, Any] = {
    "description": "A path or query parameter holds a control character",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}


def document_parameter_refusal(schema: dict[str, Any]) -> None:
    """Add the 400 to each operation of an OpenAPI ``schema`` that takes a path or query parameter
    and does not list a 400 of its own yet."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if any(p.get("in") in ("path", "query") for p in operation.get("parameters", [])):
                operation.setdefault("responses", {}).setdefault("400", _REFUSED)
