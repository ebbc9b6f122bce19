"""Accounts, password hashing, bearer tokens and the sessions they belong to."""

from spotcheck.auth.accounts import (
    Account,
    AccountService,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    NoPasswordError,
    WrongPasswordError,
    normalise_email,
)
from spotcheck.auth.identities import IdentityService
from spotcheck.auth.identity_tokens import (
    ExternalIdentity,
    IdentityTokenError,
    IdentityTokenValidator,
    unverified_issuer,
)
from spotcheck.auth.oidc_sign_in import OidcSignIn, PendingSignIn, SignInFailedError
from spotcheck.auth.opaque_tokens import UserinfoTokenValidator, looks_opaque
from spotcheck.auth.passwords import HashingBusyError, PasswordHasher, WeakPasswordError
from spotcheck.auth.provider import HttpJsonFetcher, OpenIdProvider, ProviderUnavailableError
from spotcheck.auth.sessions import SessionEndedError, SessionService
from spotcheck.auth.throttle import AuthThrottle, RetryLaterError, ThrottleLimits, TooManyAttemptsError
from spotcheck.auth.tokens import InvalidTokenError, TokenClaims, TokenIssuer, TokenUse

__all__ = [
    "Account",
    "AccountService",
    "AuthThrottle",
    "EmailTakenError",
    "ExternalIdentity",
    "HashingBusyError",
    "HttpJsonFetcher",
    "IdentityService",
    "IdentityTokenError",
    "IdentityTokenValidator",
    "InvalidCredentialsError",
    "InvalidEmailError",
    "InvalidTokenError",
    "NoPasswordError",
    "OidcSignIn",
    "OpenIdProvider",
    "PasswordHasher",
    "PendingSignIn",
    "ProviderUnavailableError",
    "RetryLaterError",
    "SessionEndedError",
    "SessionService",
    "SignInFailedError",
    "ThrottleLimits",
    "TokenClaims",
    "TokenIssuer",
    "TokenUse",
    "TooManyAttemptsError",
    "UserinfoTokenValidator",
    "WeakPasswordError",
    "WrongPasswordError",
    "looks_opaque",
    "normalise_email",
    "unverified_issuer",
]
