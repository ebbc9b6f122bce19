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
# The rule in the parameters' own schema, so that a client (or a fuzzer) can tell a valid value.
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"


def document_parameter_refusal(schema: dict[str, Any]) -> None:
    """In an OpenAPI ``schema``: each path and query parameter that is text gets the rule as its
    ``pattern``, and each operation taking one the 400, unless it lists a 400 of its own."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            parameters = [p for p in operation.get("parameters", []) if p.get("in") in ("path", "query")]
            for parameter in parameters:
                _add_pattern(parameter.get("schema", {}))
            if parameters:
                operation.setdefault("responses", {}).setdefault("400", _REFUSED)


def _add_pattern(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string":
        schema.setdefault("pattern", NO_CONTROL_CHARACTERS)
    for alternative in schema.get("anyOf", []):
        _add_pattern(alternative)
