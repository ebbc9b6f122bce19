"""Read-only share links to one spot: made with an expiry, listed, revoked.

The token (32 random bytes, URL-safe) is shown once, when the link is made; only its SHA-256 is
stored, so a copy of the database opens no spot. A token is looked up by its hash and the hash
compared again in constant time; unknown, revoked and expired tokens get the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from spotcheck.clock import as_utc, utc_now
from spotcheck.db.tables import spot_shares

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "NewShare",
    "Share",
    "ShareNotFoundError",
    "ShareService",
    "hash_token",
]

DEFAULT_DAYS = 14
MAX_DAYS = 90


class ShareNotFoundError(LookupError):
    def __init__(self) -> None:
        super().__init__("No shared spot here: the link is unknown, was revoked or has expired.")


@dataclass(frozen=True, slots=True)
class Share:
    id: str
    spot_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewShare:
    token: str  # shown once; never stored
    share: Share


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).hexdigest()


def _share(row: Any) -> Share:
    revoked = as_utc(row.revoked_at) if row.revoked_at else None
    return Share(row.id, row.spot_id, as_utc(row.created_at), as_utc(row.expires_at), revoked)


class ShareService:
    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    def create(self, *, spot_id: str, days: int = DEFAULT_DAYS) -> NewShare:
        token = secrets.token_urlsafe(32)
        now = utc_now()
        share = Share(uuid.uuid4().hex, spot_id, now, now + timedelta(days=days), None)
        with self._engine.begin() as conn:
            conn.execute(
                insert(spot_shares).values(
                    id=share.id,
                    spot_id=spot_id,
                    token_hash=hash_token(token),
                    created_at=share.created_at,
                    expires_at=share.expires_at,
                )
            )
        return NewShare(token, share)

    def live(self, *, spot_id: str) -> list[Share]:
        """The spot's links that still open it, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(spot_shares)
                .where(
                    spot_shares.c.spot_id == spot_id,
                    spot_shares.c.revoked_at.is_(None),
                    spot_shares.c.expires_at > utc_now(),
                )
                .order_by(spot_shares.c.created_at, spot_shares.c.id)
            ).all()
        return [_share(r) for r in rows]

    def of_spots(self, spot_ids: Iterable[str]) -> list[Share]:
        """Every link ever made to these spots, revoked and expired ones too (for an export)."""
        ids = list(spot_ids)
        if not ids:
            return []
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(spot_shares).where(spot_shares.c.spot_id.in_(ids)).order_by(spot_shares.c.created_at)
            ).all()
        return [_share(r) for r in rows]

    def revoke_all(self, *, spot_id: str) -> int:
        """End every live link to the spot; how many were ended."""
        with self._engine.begin() as conn:
            result = conn.execute(
                update(spot_shares)
                .where(spot_shares.c.spot_id == spot_id, spot_shares.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
        return int(result.rowcount)

    def resolve(self, token: str) -> str:
        """The spot id a live token opens; ShareNotFoundError for any other token."""
        digest = hash_token(token)
        with self._engine.connect() as conn:
            row = conn.execute(select(spot_shares).where(spot_shares.c.token_hash == digest)).first()
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            raise ShareNotFoundError
        share = _share(row)
        if share.revoked_at is not None or share.expires_at <= utc_now():
            raise ShareNotFoundError
        return share.spot_id
