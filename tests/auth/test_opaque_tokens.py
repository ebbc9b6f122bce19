"""Opaque access tokens: the provider's userinfo endpoint says whose they are; answers are kept a while."""

from __future__ import annotations

import pytest

from spotcheck.auth import UserinfoTokenValidator, looks_opaque
from spotcheck.auth.identity_tokens import IdentityTokenError
from spotcheck.auth.provider import MemoryJsonFetcher, OpenIdProvider, discovery_url

ISSUER = "https://id.example.org"
USERINFO = f"{ISSUER}/userinfo"
TOKEN = "op4que-Access.Token_of~the+provider/xyz"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fetcher(*, userinfo: bool = True) -> MemoryJsonFetcher:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/auth",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
    }
    if userinfo:
        document["userinfo_endpoint"] = USERINFO
    return MemoryJsonFetcher({discovery_url(ISSUER): document})


def test_a_token_the_provider_takes_names_its_subject_and_verified_address() -> None:
    fetcher = _fetcher()
    fetcher.userinfo_claims[TOKEN] = {"sub": "u-1", "email": "Ada@Example.org", "email_verified": True}
    identity = UserinfoTokenValidator(provider=OpenIdProvider(issuer=ISSUER, fetcher=fetcher)).validate(TOKEN)
    assert (identity.issuer, identity.subject, identity.email) == (ISSUER, "u-1", "ada@example.org")


def test_an_unverified_address_is_not_taken() -> None:
    fetcher = _fetcher()
    fetcher.userinfo_claims[TOKEN] = {"sub": "u-1", "email": "ada@example.org", "email_verified": False}
    identity = UserinfoTokenValidator(provider=OpenIdProvider(issuer=ISSUER, fetcher=fetcher)).validate(TOKEN)
    assert identity.email is None


@pytest.mark.parametrize("claims", [None, {}, {"sub": ""}, {"sub": 7}, {"sub": "x" * 256}])
def test_a_refused_token_or_an_answer_without_a_subject_is_refused(claims: dict[str, object] | None) -> None:
    fetcher = _fetcher()
    if claims is not None:
        fetcher.userinfo_claims[TOKEN] = claims
    with pytest.raises(IdentityTokenError, match="userinfo"):
        UserinfoTokenValidator(provider=OpenIdProvider(issuer=ISSUER, fetcher=fetcher)).validate(TOKEN)


def test_without_a_userinfo_endpoint_no_opaque_token_is_taken() -> None:
    fetcher = _fetcher(userinfo=False)
    fetcher.userinfo_claims[TOKEN] = {"sub": "u-1"}
    with pytest.raises(IdentityTokenError):
        UserinfoTokenValidator(provider=OpenIdProvider(issuer=ISSUER, fetcher=fetcher)).validate(TOKEN)
    assert USERINFO not in fetcher.requests


def test_answers_and_refusals_are_kept_for_a_while_then_asked_again() -> None:
    fetcher, clock = _fetcher(), Clock()
    fetcher.userinfo_claims[TOKEN] = {"sub": "u-1"}
    validator = UserinfoTokenValidator(
        provider=OpenIdProvider(issuer=ISSUER, fetcher=fetcher), cache_seconds=60, clock=clock
    )
    for _ in range(5):
        validator.validate(TOKEN)
        with pytest.raises(IdentityTokenError):
            validator.validate("made-up-token-0123456789")
    assert fetcher.requests[USERINFO] == 2  # one question per token
    del fetcher.userinfo_claims[TOKEN]  # revoked at the provider
    clock.now = 61.0
    with pytest.raises(IdentityTokenError):
        validator.validate(TOKEN)
    assert fetcher.requests[USERINFO] == 3


def test_the_cache_is_bounded() -> None:
    fetcher = _fetcher()
    validator = UserinfoTokenValidator(provider=OpenIdProvider(issuer=ISSUER, fetcher=fetcher), max_entries=3)
    for i in range(10):
        with pytest.raises(IdentityTokenError):
            validator.validate(f"made-up-token-{i:010d}")
    with pytest.raises(IdentityTokenError):
        validator.validate("made-up-token-0000000000")  # pushed out long ago: asked again
    assert fetcher.requests[USERINFO] == 11


@pytest.mark.parametrize(
    ("token", "opaque"),
    [
        (TOKEN, True),
        ("a" * 16, True),
        ("a" * 15, False),  # too short to be a token
        ("header.claims.signature", False),  # a JWT
        ("has spaces in it, not a token", False),
        ("x" * 5000, False),
    ],
)
def test_what_counts_as_an_opaque_token(token: str, opaque: bool) -> None:
    assert looks_opaque(token) is opaque
