"""Password hashing (Argon2id) and the strength rules for new passwords."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pwdlib import PasswordHash

from spotcheck.auth.throttle import RetryLaterError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "HashingBusyError",
    "PasswordHasher",
    "WeakPasswordError",
    "check_password_strength",
]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
_COMMON = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "1234567890",
        "0123456789",
        "qwertyuiop",
        "qwerty1234",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "admin12345",
        "spotcheck1",
        "abcdefghij",
        "1q2w3e4r5t",
        "passw0rd12",
        "11111111111",
        "0000000000",
        "123123123123",
    }
)
_RECOMMENDED = PasswordHash.recommended()
_DUMMY_PASSWORD = "timing-equaliser-not-a-password"


@functools.cache
def _recommended_dummy_hash() -> str:
    return _RECOMMENDED.hash(_DUMMY_PASSWORD)


class WeakPasswordError(ValueError):
    """The message says what a password needs."""


def check_password_strength(password: str, *, email: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if password.lower() in _COMMON or len(set(password)) < 4:
        raise WeakPasswordError("Password is too easy to guess; use a longer phrase with varied characters.")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        raise WeakPasswordError("Password must not contain your email address.")


class HashingBusyError(RetryLaterError):
    pass


class PasswordHasher:
    """Argon2id hashing, at most ``max_concurrent`` at once.

    Each hash takes 64 MiB and most of a CPU core for a good fraction of a second: without a bound,
    40 sign-ins at once took 2 GB and starved every other request. A caller that cannot get a
    slot within ``wait_seconds`` is answered "retry later" instead of queueing without end.

    ``password_hash`` is pwdlib's recommended Argon2id unless given; tests give a cheap one. Stored
    hashes carry their own parameters, so any of them verifies whatever this hasher makes.
    """

    def __init__(
        self, *, max_concurrent: int = 2, wait_seconds: float = 5.0, password_hash: PasswordHash | None = None
    ) -> None:
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._wait_seconds = wait_seconds
        self._hasher = password_hash or _RECOMMENDED
        # Verifying against a real hash of the same cost when the email is unknown keeps the answer
        # time the same. Made by ``prepare`` (a server, at start-up) or the first unknown email,
        # never by a process that checks no password (a labelling worker).
        self._dummy_hash: str | None = None
        self._dummy_lock = threading.Lock()

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self._wait_seconds):
            raise HashingBusyError("The server is busy checking passwords; try again in a moment.", retry_after=1)
        try:
            yield
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        with self._slot():
            return self._hasher.hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        with self._slot():
            return self._hasher.verify(password, password_hash)

    def prepare(self) -> None:
        """Hash the dummy password now (a fraction of a second), so that the first sign-in with an
        unknown email takes no longer than the others."""
        self._dummy()

    def verify_nothing(self, password: str) -> None:
        """Spend what a verification spends, for an account that does not exist."""
        self.verify(password, self._dummy())

    def _dummy(self) -> str:
        with self._dummy_lock:
            if self._dummy_hash is None:
                recommended = self._hasher is _RECOMMENDED
                self._dummy_hash = _recommended_dummy_hash() if recommended else self._hasher.hash(_DUMMY_PASSWORD)
            return self._dummy_hash
