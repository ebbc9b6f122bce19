"""What the sign-in routes share: the client's address the throttles count by, and their answers."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from spotcheck.api.schemas import ErrorBody

__all__ = ["PASSWORDS_OFF", "SIGN_IN_RESPONSES", "TOO_BUSY_HASHING", "client_address", "input_refused"]


def input_refused(description: str) -> dict[str, Any]:
    """422 is FastAPI's list of validation errors, or one plain message from the account rules."""
    either = [{"$ref": "#/components/schemas/ErrorBody"}, {"$ref": "#/components/schemas/HTTPValidationError"}]
    return {"description": description, "content": {"application/json": {"schema": {"anyOf": either}}}}


# Registration answers these as the sign-ins do: passwords switched off (403), the hashing pool full (503).
PASSWORDS_OFF: dict[str, Any] = {
    "model": ErrorBody,
    "description": "Passwords are switched off (SPOTCHECK_LOCAL_ACCOUNTS=false)",
}
TOO_BUSY_HASHING: dict[str, Any] = {"model": ErrorBody, "description": "Too busy hashing passwords; see Retry-After"}

SIGN_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    403: PASSWORDS_OFF,
    429: {"model": ErrorBody, "description": "Too many attempts; see Retry-After"},
    503: TOO_BUSY_HASHING,
}


def client_address(request: Request) -> str:
    """The peer's address; behind a proxy, run uvicorn with --proxy-headers so this is the client's."""
    return request.client.host if request.client else "unknown"
