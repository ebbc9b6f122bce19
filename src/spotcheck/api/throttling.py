"""Sign-in and registration as the routes run them: throttled by account and by client address."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from spotcheck.api.schemas import ErrorBody
from spotcheck.auth import Account, AccountService, AuthThrottle, InvalidCredentialsError, normalise_email

__all__ = ["SIGN_IN_RESPONSES", "ThrottleDep", "client_address", "throttled_sign_in"]

SIGN_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    429: {"model": ErrorBody, "description": "Too many attempts; see Retry-After"},
    503: {"model": ErrorBody, "description": "Too busy hashing passwords; see Retry-After"},
}


def _throttle(request: Request) -> AuthThrottle:
    throttle: AuthThrottle = request.app.state.auth_throttle
    return throttle


ThrottleDep = Annotated[AuthThrottle, Depends(_throttle)]


def client_address(request: Request) -> str:
    """The peer's address; behind a proxy, run uvicorn with --proxy-headers so this is the client's."""
    return request.client.host if request.client else "unknown"


def throttled_sign_in(
    *, accounts: AccountService, throttle: AuthThrottle, request: Request, email: str, password: str
) -> Account:
    """The account these credentials sign in; 429 before any hashing once a limit is spent."""
    address = client_address(request)
    throttle.before_sign_in(address=address, email=normalise_email(email))
    try:
        return accounts.authenticate(email=email, password=password)
    except InvalidCredentialsError:
        throttle.sign_in_failed(email=normalise_email(email))
        raise
