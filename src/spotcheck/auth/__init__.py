"""Accounts, password hashing, bearer tokens and the sessions they belong to."""

from spotcheck.auth.accounts import (
    Account,
    AccountService,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    normalise_email,
)
from spotcheck.auth.passwords import WeakPasswordError
from spotcheck.auth.sessions import SessionEndedError, SessionService
from spotcheck.auth.tokens import InvalidTokenError, TokenClaims, TokenIssuer

__all__ = [
    "Account",
    "AccountService",
    "EmailTakenError",
    "InvalidCredentialsError",
    "InvalidEmailError",
    "InvalidTokenError",
    "SessionEndedError",
    "SessionService",
    "TokenClaims",
    "TokenIssuer",
    "WeakPasswordError",
    "normalise_email",
]
