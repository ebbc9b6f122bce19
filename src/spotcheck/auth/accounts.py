"""Accounts: registration and sign-in."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from spotcheck.auth.passwords import PasswordHasher, check_password_strength
from spotcheck.clock import utc_now
from spotcheck.db.tables import users
from spotcheck.unicode_text import INVISIBLE_OR_CONTROL, first_refused

__all__ = [
    "Account",
    "AccountService",
    "EmailTakenError",
    "InvalidCredentialsError",
    "InvalidEmailError",
    "NoPasswordError",
    "WrongPasswordError",
    "normalise_email",
]


class EmailTakenError(Exception):
    pass


class InvalidCredentialsError(Exception):
    pass


class WrongPasswordError(Exception):
    """A signed-in account's current password, given to change it, is not its password."""


class NoPasswordError(Exception):
    """The account signs in at the OpenID provider: SpotCheck keeps no password for it."""


class InvalidEmailError(ValueError):
    """The message names the character that was refused and where."""


# Invisible or control characters, and private-use and unassigned code points: ambiguous in an address.
_REFUSED_CATEGORIES = INVISIBLE_OR_CONTROL | {"Co", "Cn"}


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    email: str | None  # None: made by the OpenID provider, which gave no verified address


def normalise_email(email: str) -> str:
    """One spelling per address: Unicode NFC and lower case, so "zoë" typed either way is one account.

    Raises InvalidEmailError for an address holding a control or invisible character.
    """
    email = unicodedata.normalize("NFC", email.strip())
    if refused := first_refused(email, _REFUSED_CATEGORIES):
        position, char = refused
        raise InvalidEmailError(
            f"The email address holds an invisible or control character (U+{ord(char):04X} at position "
            f"{position}); type the address again with letters, digits and punctuation only."
        )
    return unicodedata.normalize("NFC", email.lower())


class AccountService:
    def __init__(self, engine: Engine, *, hasher: PasswordHasher | None = None) -> None:
        self._engine = engine
        self._hasher = hasher or PasswordHasher()

    def prepare(self) -> None:
        """Do now the work the first sign-in would otherwise do (``PasswordHasher.prepare``)."""
        self._hasher.prepare()

    def register(self, *, email: str, password: str) -> Account:
        email = normalise_email(email)
        check_password_strength(password, email=email)
        account = Account(str(uuid.uuid4()), email)
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(users).values(
                        id=account.id, email=email, password_hash=self._hasher.hash(password), created_at=utc_now()
                    )
                )
        except IntegrityError as exc:
            raise EmailTakenError(f"An account for {email} already exists.") from exc
        return account

    def authenticate(self, *, email: str, password: str) -> Account:
        try:
            email = normalise_email(email)
        except InvalidEmailError:
            # No account can have such an address: the same answer, and the same time, as any unknown one.
            self._hasher.verify_nothing(password)
            raise InvalidCredentialsError("Incorrect email or password.") from None
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.email == email)).first()
        if row is None or row.password_hash is None:
            self._hasher.verify_nothing(password)
            raise InvalidCredentialsError("Incorrect email or password.")
        if not self._hasher.verify(password, row.password_hash):
            raise InvalidCredentialsError("Incorrect email or password.")
        return Account(row.id, row.email)

    def verify_password(self, *, user_id: str, password: str) -> str | None:
        """Prove a signed-in account's password (WrongPasswordError, NoPasswordError); its address back."""
        with self._engine.connect() as conn:
            row = conn.execute(select(users.c.email, users.c.password_hash).where(users.c.id == user_id)).first()
        if row is None or row.password_hash is None:
            raise NoPasswordError("This account signs in with its identity provider and has no SpotCheck password.")
        if not self._hasher.verify(password, row.password_hash):
            raise WrongPasswordError("The current password is not correct.")
        return str(row.email) if row.email is not None else None

    def change_password(self, *, user_id: str, current: str, new: str) -> None:
        """Replace the password once ``current`` is proven; WeakPasswordError for a poor ``new`` one."""
        email = self.verify_password(user_id=user_id, password=current)
        check_password_strength(new, email=email or "")
        with self._engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(password_hash=self._hasher.hash(new)))

    def get(self, user_id: str) -> Account | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(users.c.id, users.c.email).where(users.c.id == user_id)).first()
        return Account(row.id, row.email) if row else None

    def delete(self, *, user_id: str) -> None:
        """Remove the account row; its sessions, uploads' rows and spots go with it (ON DELETE CASCADE)."""
        with self._engine.begin() as conn:
            conn.execute(delete(users).where(users.c.id == user_id))
