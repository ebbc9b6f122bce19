"""The checks an ID or access token from the OpenID provider must pass before it signs anyone in.

Signature by a key the provider publishes, with an algorithm from an allow-list of asymmetric ones
(never ``none``, never HS*: a shared-secret algorithm would let anyone holding the provider's
*public* key sign); the issuer exactly; expiry, not-before and issued-at with a small leeway; and
the audience: this API's audience or the client id. Amazon Cognito's access tokens carry no
``aud`` but ``token_use: "access"`` and ``client_id``; its ID tokens carry ``token_use: "id"``
and ``aud``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwt import JWTClaimsRegistry

from spotcheck.auth.accounts import InvalidEmailError, normalise_email
from spotcheck.auth.provider import OpenIdProvider
from spotcheck.auth.tokens import InvalidTokenError

__all__ = [
    "ALLOWED_ALGORITHMS",
    "ExternalIdentity",
    "IdentityTokenError",
    "IdentityTokenValidator",
    "unverified_issuer",
    "verified_email",
]

ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
_MAX_TOKEN_LENGTH = 16_384


class IdentityTokenError(InvalidTokenError):
    """The token failed one check; the message says which."""


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """Who the provider says signed in: ``subject`` is unique within ``issuer``."""

    issuer: str
    subject: str
    email: str | None  # only when the provider says it verified the address


def _segment(part: str) -> dict[str, Any]:
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, read without any check: only to choose how to check them."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > _MAX_TOKEN_LENGTH:
        raise IdentityTokenError("not a signed JWT (three dot-separated parts)")
    try:
        return _segment(parts[0]), _segment(parts[1])
    except ValueError as exc:  # also binascii.Error and JSONDecodeError
        raise IdentityTokenError("not a signed JWT (header or claims are not base64url JSON)") from exc


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` a token claims, unchecked (to tell the provider's tokens from SpotCheck's own)."""
    try:
        issuer = _unverified(token)[1].get("iss")
    except IdentityTokenError:
        return None
    return issuer if isinstance(issuer, str) else None


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [item for item in aud if isinstance(item, str)]
    return []


def verified_email(claims: dict[str, Any]) -> str | None:
    """The e-mail address of these claims, normalised, when the provider says it verified it."""
    email, verified = claims.get("email"), claims.get("email_verified")
    # Cognito has written the flag as the string "true" in some versions.
    if not isinstance(email, str) or verified not in (True, "true"):
        return None
    try:
        return normalise_email(email)
    except InvalidEmailError:
        return None


class IdentityTokenValidator:
    """Checks tokens of one provider for this API (``audiences``) and this client (``client_id``)."""

    def __init__(
        self,
        *,
        provider: OpenIdProvider,
        client_id: str,
        audiences: Iterable[str],
        leeway_seconds: int = 60,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._provider = provider
        self._client_id = client_id
        self._audiences = frozenset(audiences) | {client_id}
        self._leeway = leeway_seconds
        self._now = now

    @property
    def issuer(self) -> str:
        return self._provider.issuer

    def validate(self, token: str, *, nonce: str | None = None) -> ExternalIdentity:
        """The identity an ID or access token signs in; IdentityTokenError naming the failed check."""
        header, unverified_claims = _unverified(token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise IdentityTokenError(f"alg {alg!r} is not accepted; one of {', '.join(sorted(ALLOWED_ALGORITHMS))}")
        if unverified_claims.get("iss") != self.issuer:
            raise IdentityTokenError(f"issuer {unverified_claims.get('iss')!r} is not {self.issuer!r}")
        kid = header.get("kid")
        key = self._provider.signing_key(kid if isinstance(kid, str) else None)
        key_alg = key.get("alg")
        if key_alg is not None and key_alg != alg:
            raise IdentityTokenError(f"the key {kid!r} is for {key_alg}, the token says {alg}")
        try:
            claims = jwt.decode(token, key, algorithms=[alg]).claims
        except JoseError as exc:
            raise IdentityTokenError(f"the signature does not verify ({exc.error})") from exc
        self._check_claims(claims, nonce=nonce)
        return ExternalIdentity(issuer=self.issuer, subject=str(claims["sub"]), email=verified_email(claims))

    def _check_claims(self, claims: dict[str, Any], *, nonce: str | None) -> None:
        registry = JWTClaimsRegistry(
            now=lambda: int(self._now()),
            leeway=self._leeway,
            iss={"essential": True, "value": self.issuer},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise IdentityTokenError("the token has expired") from exc
        except JoseError as exc:
            raise IdentityTokenError(f"claim check failed ({exc.description or exc.error})") from exc
        if not isinstance(claims["sub"], str) or not claims["sub"] or len(claims["sub"]) > 255:
            raise IdentityTokenError("sub must be a non-empty string of at most 255 characters")
        token_use = claims.get("token_use")
        if token_use not in (None, "access", "id"):
            raise IdentityTokenError(f"token_use {token_use!r} is neither 'access' nor 'id'")
        audiences = _audiences(claims)
        if audiences:
            if not self._audiences.intersection(audiences):
                raise IdentityTokenError(f"audience {audiences} is not {sorted(self._audiences)}")
            azp = claims.get("azp")
            if len(audiences) > 1 and azp is not None and azp != self._client_id:
                raise IdentityTokenError(f"azp {azp!r} is not this client")
        elif token_use != "access" or claims.get("client_id") not in self._audiences:
            # A Cognito access token: no aud, the app client in client_id.
            raise IdentityTokenError("the token names no audience (aud, or client_id with token_use 'access')")
        if nonce is not None and claims.get("nonce") != nonce:
            raise IdentityTokenError("the nonce does not match this sign-in")
