"""The checks on the OpenID provider's tokens, against an in-memory provider (discovery + JWKS)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from spotcheck.auth import ExternalIdentity, IdentityTokenError, IdentityTokenValidator, OpenIdProvider
from spotcheck.auth.provider import MemoryJsonFetcher, ProviderUnavailableError, UnknownKeyError, discovery_url

ISSUER = "https://id.example.org/realms/spotcheck"
JWKS_URI = f"{ISSUER}/certs"
CLIENT_ID = "spotcheck-web"
AUDIENCE = "https://spotcheck.example.org/api"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return _rsa("rsa-1")


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"})


def _publish(fetcher: MemoryJsonFetcher, *keys: RSAKey | ECKey) -> None:
    fetcher.documents[JWKS_URI] = KeySet(list(keys)).as_dict(private=False)


@pytest.fixture
def fetcher(rsa_key: RSAKey, ec_key: ECKey) -> MemoryJsonFetcher:
    fetcher = MemoryJsonFetcher(
        {
            discovery_url(ISSUER): {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": JWKS_URI,
            }
        }
    )
    _publish(fetcher, rsa_key, ec_key)
    return fetcher


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def validator(fetcher: MemoryJsonFetcher, clock: Clock) -> IdentityTokenValidator:
    provider = OpenIdProvider(issuer=ISSUER, fetcher=fetcher, refetch_interval=60.0, clock=clock)
    return IdentityTokenValidator(provider=provider, client_id=CLIENT_ID, audiences=[AUDIENCE])


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "sub": "user-1", "aud": AUDIENCE, "iat": now, "exp": now + 300}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _sign(key: RSAKey | ECKey, claims: dict[str, Any], *, alg: str = "RS256", kid: str | None = None) -> str:
    header = {"alg": alg, "kid": kid if kid is not None else key.kid}
    return jwt.encode(header, claims, key, algorithms=[alg])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_an_access_token_for_the_api_signs_in_its_subject(validator: IdentityTokenValidator, rsa_key: RSAKey) -> None:
    identity = validator.validate(_sign(rsa_key, _claims()))
    assert identity == ExternalIdentity(issuer=ISSUER, subject="user-1", email=None)


def test_an_id_token_for_the_client_with_a_verified_address_brings_the_address(
    validator: IdentityTokenValidator, ec_key: ECKey
) -> None:
    claims = _claims(aud=CLIENT_ID, email="Zoe\u0308@Example.org", email_verified=True)
    identity = validator.validate(_sign(ec_key, claims, alg="ES256"))
    assert identity.email == "zo\u00eb@example.org"


def test_an_unverified_address_is_not_taken(validator: IdentityTokenValidator, rsa_key: RSAKey) -> None:
    claims = _claims(email="ada@example.org", email_verified=False)
    assert validator.validate(_sign(rsa_key, claims)).email is None


def test_cognito_access_token_names_the_client_in_client_id(validator: IdentityTokenValidator, rsa_key: RSAKey) -> None:
    claims = _claims(aud=None, token_use="access", client_id=CLIENT_ID)
    assert validator.validate(_sign(rsa_key, claims)).subject == "user-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://evil.example.org"}, "issuer"),
        ({"aud": "https://other.example.org/api"}, "audience"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
        ({"nbf": int(time.time()) + 3600}, "claim check failed"),
        ({"aud": None}, "names no audience"),
        ({"aud": None, "token_use": "access", "client_id": "another-client"}, "names no audience"),
        ({"aud": None, "token_use": "id", "client_id": CLIENT_ID}, "names no audience"),
        ({"token_use": "refresh"}, "token_use"),
        ({"aud": [AUDIENCE, "x"], "azp": "another-client"}, "azp"),
    ],
)
def test_a_token_failing_one_claim_check_is_refused(
    validator: IdentityTokenValidator, rsa_key: RSAKey, changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(IdentityTokenError, match=reason):
        validator.validate(_sign(rsa_key, _claims(**changes)))


def test_alg_none_is_refused(validator: IdentityTokenValidator, rsa_key: RSAKey) -> None:
    unsigned = f"{_b64({'alg': 'none', 'kid': rsa_key.kid})}.{_b64(_claims())}."
    with pytest.raises(IdentityTokenError, match="alg 'none' is not accepted"):
        validator.validate(unsigned)


def test_hs256_signed_with_the_public_key_is_refused(validator: IdentityTokenValidator, rsa_key: RSAKey) -> None:
    """The classic confusion: the provider's public key used as an HMAC secret."""
    signing_input = f"{_b64({'alg': 'HS256', 'kid': rsa_key.kid})}.{_b64(_claims())}"
    mac = hmac.new(rsa_key.as_pem(private=False), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(IdentityTokenError, match="alg 'HS256' is not accepted"):
        validator.validate(forged)


def test_a_key_used_with_another_algorithm_than_its_own_is_refused(
    validator: IdentityTokenValidator, rsa_key: RSAKey
) -> None:
    same_key_any_alg = RSAKey.import_key({k: v for k, v in rsa_key.as_dict(private=True).items() if k != "alg"})
    with pytest.raises(IdentityTokenError, match="is for RS256"):
        validator.validate(_sign(same_key_any_alg, _claims(), alg="PS256"))


def test_a_bad_signature_is_refused(validator: IdentityTokenValidator, rsa_key: RSAKey) -> None:
    header, _claims_part, signature = _sign(rsa_key, _claims()).split(".")
    tampered = f"{header}.{_b64(_claims(sub='someone-else'))}.{signature}"
    with pytest.raises(IdentityTokenError, match="signature"):
        validator.validate(tampered)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "e30.e30.", "x" * 20_000])
def test_what_is_not_a_jwt_is_refused(validator: IdentityTokenValidator, garbage: str) -> None:
    with pytest.raises(IdentityTokenError):
        validator.validate(garbage)


def test_a_nonce_must_match_when_one_is_expected(validator: IdentityTokenValidator, rsa_key: RSAKey) -> None:
    token = _sign(rsa_key, _claims(aud=CLIENT_ID, nonce="n-1"))
    assert validator.validate(token, nonce="n-1").subject == "user-1"
    with pytest.raises(IdentityTokenError, match="nonce"):
        validator.validate(token, nonce="n-2")


def test_a_key_the_provider_does_not_publish_is_refused(validator: IdentityTokenValidator) -> None:
    stranger = _rsa("rsa-1")  # even under a published key's kid
    with pytest.raises(IdentityTokenError, match="signature"):
        validator.validate(_sign(stranger, _claims()))
    with pytest.raises(UnknownKeyError):
        validator.validate(_sign(_rsa("not-published"), _claims()))


def test_a_rotated_key_is_found_by_reading_the_key_set_again(
    validator: IdentityTokenValidator, fetcher: MemoryJsonFetcher, rsa_key: RSAKey, clock: Clock
) -> None:
    assert validator.validate(_sign(rsa_key, _claims())).subject == "user-1"
    assert fetcher.requests[JWKS_URI] == 1
    clock.now += 120  # the provider rotates; a minute later, a token signed with the new key arrives
    rotated = _rsa("rsa-2")
    _publish(fetcher, rotated)
    assert validator.validate(_sign(rotated, _claims())).subject == "user-1"
    assert fetcher.requests[JWKS_URI] == 2
    with pytest.raises(UnknownKeyError):  # the retired key is gone with the set it was in
        validator.validate(_sign(rsa_key, _claims()))


def test_unknown_key_ids_read_the_key_set_at_most_once_per_interval(
    validator: IdentityTokenValidator, fetcher: MemoryJsonFetcher, rsa_key: RSAKey, clock: Clock
) -> None:
    validator.validate(_sign(rsa_key, _claims()))
    for number in range(20):
        with pytest.raises(UnknownKeyError):
            validator.validate(_sign(_rsa(f"made-up-{number % 2}"), _claims()))
    assert fetcher.requests[JWKS_URI] == 1
    clock.now += 61
    with pytest.raises(UnknownKeyError):
        validator.validate(_sign(_rsa("made-up-again"), _claims()))
    assert fetcher.requests[JWKS_URI] == 2


def test_a_discovery_document_for_another_issuer_is_refused(fetcher: MemoryJsonFetcher, rsa_key: RSAKey) -> None:
    fetcher.documents[discovery_url(ISSUER)]["issuer"] = "https://id.example.org/realms/other"
    provider = OpenIdProvider(issuer=ISSUER, fetcher=fetcher)
    validator = IdentityTokenValidator(provider=provider, client_id=CLIENT_ID, audiences=[AUDIENCE])
    with pytest.raises(ProviderUnavailableError, match="names issuer"):
        validator.validate(_sign(rsa_key, _claims()))


def test_a_provider_that_cannot_be_read_is_unavailable_not_a_bad_token(rsa_key: RSAKey) -> None:
    provider = OpenIdProvider(issuer=ISSUER, fetcher=MemoryJsonFetcher())
    validator = IdentityTokenValidator(provider=provider, client_id=CLIENT_ID, audiences=[AUDIENCE])
    with pytest.raises(ProviderUnavailableError):
        validator.validate(_sign(rsa_key, _claims()))


def test_a_provider_that_is_down_is_not_asked_again_by_every_token(
    fetcher: MemoryJsonFetcher, rsa_key: RSAKey, clock: Clock
) -> None:
    down = MemoryJsonFetcher()
    provider = OpenIdProvider(issuer=ISSUER, fetcher=down, failure_pause=5.0, clock=clock)
    validator = IdentityTokenValidator(provider=provider, client_id=CLIENT_ID, audiences=[AUDIENCE])
    token = _sign(rsa_key, _claims())
    for _ in range(10):
        with pytest.raises(ProviderUnavailableError):
            validator.validate(token)
    assert down.requests == {discovery_url(ISSUER): 1}
    down.documents.update(fetcher.documents)  # it comes back
    clock.now += 6
    assert validator.validate(token).subject == "user-1"
