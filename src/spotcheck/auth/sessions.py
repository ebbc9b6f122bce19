"""Server-side sessions: every token names one, and a revoked session's token is refused."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, delete, insert, select, update

from spotcheck.auth.tokens import InvalidTokenError, TokenClaims, TokenIssuer, TokenUse
from spotcheck.clock import utc_now
from spotcheck.db.tables import sessions

__all__ = ["SessionEndedError", "SessionService"]


class SessionEndedError(InvalidTokenError):
    """The token is well signed and unexpired, but its session was signed out or never recorded."""


class SessionService:
    def __init__(self, *, engine: Engine, tokens: TokenIssuer) -> None:
        self._engine = engine
        self._tokens = tokens

    def start(self, *, user_id: str, use: TokenUse = TokenUse.API) -> str:
        """Record a new session for ``user_id`` and return the token that carries it."""
        session_id = str(uuid.uuid4())
        now = utc_now()
        with self._engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    id=session_id, user_id=user_id, created_at=now, expires_at=now + self._tokens.lifetime
                )
            )
        return self._tokens.issue(user_id, session_id=session_id, use=use)

    def resolve(self, token: str, *, use: TokenUse = TokenUse.API) -> TokenClaims:
        """The token's claims when its session is live; InvalidTokenError or SessionEndedError otherwise."""
        claims = self._tokens.verify(token, use=use)
        with self._engine.connect() as conn:
            live = conn.execute(
                select(sessions.c.id).where(
                    sessions.c.id == claims.session_id,
                    sessions.c.user_id == claims.user_id,
                    sessions.c.revoked_at.is_(None),
                )
            ).first()
        if live is None:
            raise SessionEndedError(f"session {claims.session_id} has ended")
        return claims

    def end(self, *, session_id: str) -> None:
        """Sign one session out; ending an unknown or ended session does nothing."""
        with self._engine.begin() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )

    def end_all(self, *, user_id: str, keep: str | None = None) -> int:
        """Sign out every live session of ``user_id`` but ``keep``; how many were ended."""
        condition = (sessions.c.user_id == user_id) & sessions.c.revoked_at.is_(None)
        if keep is not None:
            condition &= sessions.c.id != keep
        with self._engine.begin() as conn:
            return int(conn.execute(update(sessions).where(condition).values(revoked_at=utc_now())).rowcount)

    def prune_expired(self) -> int:
        """Forget sessions whose tokens have expired anyway; how many rows went."""
        with self._engine.begin() as conn:
            return int(conn.execute(delete(sessions).where(sessions.c.expires_at < utc_now())).rowcount)
