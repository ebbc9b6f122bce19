"""PasswordHasher: the recommended Argon2id unless given another, and an unknown account costs what a known one does."""

from __future__ import annotations

from collections.abc import Sequence

from pwdlib import PasswordHash
from pwdlib.hashers.base import HasherProtocol

from conftest import CHEAP_PASSWORD_HASH
from spotcheck.auth import PasswordHasher

RECOMMENDED_PARAMETERS = "$argon2id$v=19$m=65536,t=3,p=4$"


class Recording(PasswordHash):
    """pwdlib's PasswordHash that remembers which hashes it verified against."""

    def __init__(self, hashers: Sequence[HasherProtocol]) -> None:
        super().__init__(hashers)
        self.verified: list[str] = []

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        self.verified.append(str(hash))
        return super().verify(password, hash)


def _parameters(password_hash: str) -> str:
    return password_hash.rsplit("$", 2)[0] + "$"


def test_the_default_is_the_recommended_argon2id() -> None:
    hasher = PasswordHasher()
    stored = hasher.hash("correct horse battery")
    assert stored.startswith(RECOMMENDED_PARAMETERS)
    assert hasher.verify("correct horse battery", stored) and not hasher.verify("wrong horse battery", stored)


def test_an_unknown_account_is_verified_against_a_hash_of_the_same_cost() -> None:
    for recording in (Recording.recommended(), Recording(CHEAP_PASSWORD_HASH.hashers)):
        hasher = PasswordHasher(password_hash=recording)
        stored = hasher.hash("correct horse battery")
        hasher.verify_nothing("correct horse battery")
        assert len(recording.verified) == 1
        assert _parameters(recording.verified[0]) == _parameters(stored)


def test_the_cheap_hash_of_the_tests_is_still_argon2id_and_verifies_anywhere() -> None:
    stored = PasswordHasher(password_hash=CHEAP_PASSWORD_HASH).hash("correct horse battery")
    assert stored.startswith("$argon2id$") and not stored.startswith(RECOMMENDED_PARAMETERS)
    assert PasswordHasher().verify("correct horse battery", stored)  # the parameters travel in the hash


def test_the_dummy_hash_is_made_when_prepared_or_first_needed_and_only_once() -> None:
    class Counting(Recording):
        def __init__(self) -> None:
            super().__init__(CHEAP_PASSWORD_HASH.hashers)
            self.hashed = 0

        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            self.hashed += 1
            return super().hash(password, salt=salt)

    lazy, prepared = Counting(), Counting()
    PasswordHasher(password_hash=lazy)  # a labelling worker's: it never checks a password
    assert lazy.hashed == 0
    hasher = PasswordHasher(password_hash=prepared)
    hasher.prepare()
    assert prepared.hashed == 1
    hasher.verify_nothing("correct horse battery")
    hasher.verify_nothing("correct horse battery")
    assert prepared.hashed == 1 and len(prepared.verified) == 2
