"""Sign-in and registration as the routes run them: throttled by account and by client address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request

from spotcheck.api.schemas import ErrorBody
from spotcheck.auth import (
    Account,
    AccountService,
    AuthThrottle,
    InvalidCredentialsError,
    InvalidEmailError,
    WrongPasswordError,
    normalise_email,
)

__all__ = [
    "SIGN_IN_RESPONSES",
    "client_address",
    "input_refused",
    "password_proof",
    "throttled_password_change",
    "throttled_sign_in",
]


def input_refused(description: str) -> dict[str, Any]:
    """422 is FastAPI's list of validation errors, or one plain message from the account rules."""
    either = [{"$ref": "#/components/schemas/ErrorBody"}, {"$ref": "#/components/schemas/HTTPValidationError"}]
    return {"description": description, "content": {"application/json": {"schema": {"anyOf": either}}}}


SIGN_IN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody, "description": "Passwords are switched off (SPOTCHECK_LOCAL_ACCOUNTS=false)"},
    429: {"model": ErrorBody, "description": "Too many attempts; see Retry-After"},
    503: {"model": ErrorBody, "description": "Too busy hashing passwords; see Retry-After"},
}


def client_address(request: Request) -> str:
    """The peer's address; behind a proxy, run uvicorn with --proxy-headers so this is the client's."""
    return request.client.host if request.client else "unknown"


def throttled_sign_in(
    *, accounts: AccountService, throttle: AuthThrottle, request: Request, email: str, password: str
) -> Account:
    """The account these credentials sign in; 429 before any hashing once a limit is spent."""
    account_key, address = _account_key(email), client_address(request)
    throttle.before_sign_in(address=address, email=account_key)
    try:
        return accounts.authenticate(email=email, password=password)
    except InvalidCredentialsError:
        throttle.sign_in_failed(address=address, email=account_key)
        raise


@contextmanager
def password_proof(*, throttle: AuthThrottle, request: Request, account: Account) -> Iterator[None]:
    """A signed-in account proves its password inside: its wrong guesses count like failed sign-ins."""
    account_key = account.email or account.id  # a provider's account may have no address
    address = client_address(request)
    throttle.before_sign_in(address=address, email=account_key)
    try:
        yield
    except WrongPasswordError:
        throttle.sign_in_failed(address=address, email=account_key)
        raise


def throttled_password_change(
    *, accounts: AccountService, throttle: AuthThrottle, request: Request, account: Account, current: str, new: str
) -> None:
    """A password change proves the current password: its guesses count like failed sign-ins."""
    with password_proof(throttle=throttle, request=request, account=account):
        accounts.change_password(user_id=account.id, current=current, new=new)


def _account_key(email: str) -> str:
    try:
        return normalise_email(email)
    except InvalidEmailError:  # no such account can exist; still count its attempts under one key
        return email.strip().lower()
