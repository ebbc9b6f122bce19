"""Signed, expiring bearer tokens (JWT, HS256)."""

from __future__ import annotations

from datetime import timedelta

import jwt

from spotcheck.clock import utc_now

__all__ = ["InvalidTokenError", "TokenIssuer"]

_ALGORITHM = "HS256"
_AUDIENCE = "spotcheck"


class InvalidTokenError(Exception):
    pass


class TokenIssuer:
    def __init__(self, *, secret: str, lifetime: timedelta) -> None:
        self._secret = secret
        self.lifetime = lifetime

    def issue(self, user_id: str) -> str:
        now = utc_now()
        claims = {"sub": user_id, "aud": _AUDIENCE, "iat": now, "exp": now + self.lifetime}
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str) -> str:
        """The user id the token was issued to."""
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=[_ALGORITHM], audience=_AUDIENCE, options={"require": ["sub", "exp"]}
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(str(exc)) from exc
        return str(claims["sub"])
