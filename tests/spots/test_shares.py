"""Share links: only the token's hash is kept; unknown, revoked and expired tokens open nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, select, update

from spotcheck.clock import utc_now
from spotcheck.db import open_database
from spotcheck.db.tables import spot_shares, spots, users
from spotcheck.spots.shares import ShareNotFoundError, ShareService


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = open_database("sqlite://")
    with engine.begin() as conn:
        conn.execute(insert(users).values(id="u", email="ada@example.org", password_hash="x", created_at=utc_now()))
        for spot_id in ("s1", "s2"):
            conn.execute(insert(spots).values(id=spot_id, owner_id="u", name=spot_id, created_at=utc_now()))
    yield engine
    engine.dispose()


def test_a_token_opens_its_spot_and_only_its_hash_is_stored(engine: Engine) -> None:
    shares = ShareService(engine=engine)
    made = shares.create(spot_id="s1", days=3)
    assert len(made.token) >= 43  # 32 random bytes
    assert made.share.expires_at - made.share.created_at == timedelta(days=3)
    assert shares.resolve(made.token) == "s1"
    with engine.connect() as conn:
        (stored,) = conn.execute(select(spot_shares.c.token_hash)).scalars()
    assert stored == hashlib.sha256(made.token.encode()).hexdigest()


def test_unknown_revoked_and_expired_tokens_open_nothing(engine: Engine) -> None:
    shares = ShareService(engine=engine)
    first, second, other = (shares.create(spot_id=s) for s in ("s1", "s1", "s2"))
    with pytest.raises(ShareNotFoundError):
        shares.resolve("not-a-token")
    assert shares.revoke_all(spot_id="s1") == 2
    for made in (first, second):
        with pytest.raises(ShareNotFoundError):
            shares.resolve(made.token)
    assert shares.resolve(other.token) == "s2"  # another spot's link is untouched
    with engine.begin() as conn:
        conn.execute(update(spot_shares).values(expires_at=utc_now() - timedelta(seconds=1)))
    with pytest.raises(ShareNotFoundError):
        shares.resolve(other.token)
    assert shares.live(spot_id="s2") == []
    assert len(shares.of_spots(["s1", "s2"])) == 3
