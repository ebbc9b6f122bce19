"""Signed, expiring bearer tokens (JWT, HS256), each naming its session by ``jti``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt

from spotcheck.clock import utc_now

__all__ = ["InvalidTokenError", "TokenClaims", "TokenIssuer", "TokenUse"]

_ALGORITHM = "HS256"


class TokenUse(StrEnum):
    """Where a token is accepted, written in its ``aud`` claim: the page's cookie is no bearer token."""

    API = "spotcheck"  # Authorization: Bearer, from POST /auth/token
    PAGE = "spotcheck-page"  # the web page's session cookie, from POST /ui/session
    OIDC_STATE = "spotcheck-oidc-state"  # a pending sign-in at the OpenID provider (its cookie)


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Whom a token signs in (``sub``) and the server-side session it belongs to (``jti``)."""

    user_id: str
    session_id: str


class TokenIssuer:
    def __init__(self, *, secret: str, lifetime: timedelta) -> None:
        self._secret = secret
        self.lifetime = lifetime

    def issue(self, user_id: str, *, session_id: str | None = None, use: TokenUse = TokenUse.API) -> str:
        """A token for ``user_id``; without a recorded ``session_id`` it signs no one in."""
        now = utc_now()
        claims = {
            "sub": user_id,
            "jti": session_id or str(uuid.uuid4()),
            "aud": use.value,
            "iat": now,
            "exp": now + self.lifetime,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str, *, use: TokenUse = TokenUse.API) -> TokenClaims:
        """The user and session the token names, when its signature, expiry and ``use`` hold."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=use.value,
                options={"require": ["sub", "exp", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from exc
        return TokenClaims(user_id=str(claims["sub"]), session_id=str(claims["jti"]))

    def seal(self, data: dict[str, str], *, use: TokenUse, lifetime: timedelta) -> str:
        """``data`` signed for ``use`` (never a sign-in token: those need ``sub`` and ``jti``)."""
        now = utc_now()
        return jwt.encode(
            {**data, "aud": use.value, "iat": now, "exp": now + lifetime}, self._secret, algorithm=_ALGORITHM
        )

    def unseal(self, token: str, *, use: TokenUse) -> dict[str, Any]:
        """What ``seal`` signed for ``use``, when unexpired and untampered; InvalidTokenError otherwise."""
        try:
            data: dict[str, Any] = jwt.decode(token, self._secret, algorithms=[_ALGORITHM], audience=use.value)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from exc
        return data
