"""Accounts, password hashing, bearer tokens and the sessions they belong to."""

from spotcheck.auth.accounts import (
    Account,
    AccountService,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    normalise_email,
)
from spotcheck.auth.passwords import HashingBusyError, PasswordHasher, WeakPasswordError
from spotcheck.auth.sessions import SessionEndedError, SessionService
from spotcheck.auth.throttle import AuthThrottle, RetryLaterError, ThrottleLimits, TooManyAttemptsError
from spotcheck.auth.tokens import InvalidTokenError, TokenClaims, TokenIssuer, TokenUse

__all__ = [
    "Account",
    "AccountService",
    "AuthThrottle",
    "EmailTakenError",
    "HashingBusyError",
    "InvalidCredentialsError",
    "InvalidEmailError",
    "InvalidTokenError",
    "PasswordHasher",
    "RetryLaterError",
    "SessionEndedError",
    "SessionService",
    "ThrottleLimits",
    "TokenClaims",
    "TokenIssuer",
    "TokenUse",
    "TooManyAttemptsError",
    "WeakPasswordError",
    "normalise_email",
]
