"""Accounts of people who sign in with the OpenID provider: one per issuer + subject, made on first use."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from spotcheck.auth.accounts import Account
from spotcheck.auth.identity_tokens import ExternalIdentity
from spotcheck.clock import utc_now
from spotcheck.db.tables import identities, users

__all__ = ["IdentityService"]


class IdentityService:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def account_for(self, identity: ExternalIdentity) -> Account:
        """The account of ``identity``, created the first time it signs in.

        The provider's verified address is stored when no other account holds it; an account is
        never joined to another by address, since whoever controls an address at one provider
        would otherwise take over the SpotCheck account of that address.
        """
        found = self._find(identity)
        if found is not None:
            return self._with_address(found, identity.email)
        # With the provider's address first; if another account holds it, without one.
        for email in dict.fromkeys((identity.email, None)):
            try:
                return self._create(identity, email=email)
            except IntegrityError:
                found = self._find(identity)  # the same person signing in twice at once
                if found is not None:
                    return found
        raise RuntimeError(f"could not create an account for {identity.subject!r} at {identity.issuer}")

    def _with_address(self, account: Account, email: str | None) -> Account:
        """An account made without an address takes the first verified one a later token brings."""
        if account.email is not None or email is None:
            return account
        try:
            with self._engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == account.id, users.c.email.is_(None)).values(email=email))
        except IntegrityError:
            return account  # another account holds it: stay without one
        return Account(account.id, email)

    def _find(self, identity: ExternalIdentity) -> Account | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users.c.id, users.c.email)
                .join(identities, identities.c.user_id == users.c.id)
                .where(identities.c.issuer == identity.issuer, identities.c.subject == identity.subject)
            ).first()
        return Account(row.id, row.email) if row else None

    def _create(self, identity: ExternalIdentity, *, email: str | None) -> Account:
        account = Account(str(uuid.uuid4()), email)
        now = utc_now()
        with self._engine.begin() as conn:
            conn.execute(insert(users).values(id=account.id, email=email, password_hash=None, created_at=now))
            conn.execute(
                insert(identities).values(
                    issuer=identity.issuer, subject=identity.subject, user_id=account.id, created_at=now
                )
            )
        return account
