"""Every check or change of a password, throttled by account and by client address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from spotcheck.auth.accounts import (
    Account,
    AccountService,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidEmailError,
    WrongPasswordError,
    normalise_email,
)
from spotcheck.auth.throttle import AuthThrottle

__all__ = ["ThrottledPasswords"]


class ThrottledPasswords:
    """Everything that checks or sets a password, throttled: each guess counts against the account
    and the client address, and a spent limit answers 429 before any hashing."""

    def __init__(self, *, accounts: AccountService, throttle: AuthThrottle) -> None:
        self._accounts = accounts
        self._throttle = throttle

    def register(self, *, address: str, email: str, password: str) -> None:
        """Create the account; silently nothing when the address is taken (the answer reveals nothing)."""
        self._throttle.before_register(address=address, email=email)
        # Taken or not, the password was checked and hashed first: the two answers also take the same time.
        with suppress(EmailTakenError):
            self._accounts.register(email=email, password=password)

    def sign_in(self, *, address: str, email: str, password: str) -> Account:
        """The account these credentials sign in."""
        account_key = _account_key(email)
        self._throttle.before_sign_in(address=address, email=account_key)
        try:
            return self._accounts.authenticate(email=email, password=password)
        except InvalidCredentialsError:
            self._throttle.sign_in_failed(address=address, email=account_key)
            raise

    @contextmanager
    def proof(self, *, address: str, account: Account) -> Iterator[None]:
        """A signed-in account proves its password inside: its wrong guesses count like failed sign-ins."""
        account_key = account.email or account.id  # a provider's account may have no address
        self._throttle.before_sign_in(address=address, email=account_key)
        try:
            yield
        except WrongPasswordError:
            self._throttle.sign_in_failed(address=address, email=account_key)
            raise

    def change(self, *, address: str, account: Account, current: str, new: str) -> None:
        """Change the password, proving the current one."""
        with self.proof(address=address, account=account):
            self._accounts.change_password(user_id=account.id, current=current, new=new)


def _account_key(email: str) -> str:
    try:
        return normalise_email(email)
    except InvalidEmailError:  # no such account can exist; still count its attempts under one key
        return email.strip().lower()
