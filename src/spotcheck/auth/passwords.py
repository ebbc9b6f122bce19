"""Password hashing (Argon2id) and the strength rules for new passwords."""

from __future__ import annotations

from pwdlib import PasswordHash

__all__ = ["MIN_PASSWORD_LENGTH", "WeakPasswordError", "check_password_strength", "hash_password", "verify_password"]

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
_hasher = PasswordHash.recommended()


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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)
