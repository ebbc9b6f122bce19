"""Accounts, password hashing and bearer tokens."""

from spotcheck.auth.accounts import (
    Account,
    AccountService,
    EmailTakenError,
    InvalidCredentialsError,
    normalise_email,
)
from spotcheck.auth.passwords import WeakPasswordError
from spotcheck.auth.tokens import InvalidTokenError, TokenIssuer

__all__ = [
    "Account",
    "AccountService",
    "EmailTakenError",
    "InvalidCredentialsError",
    "InvalidTokenError",
    "TokenIssuer",
    "WeakPasswordError",
    "normalise_email",
]
