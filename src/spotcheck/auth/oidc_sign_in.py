"""Signing in on the page through the OpenID provider: the Authorization Code flow with PKCE, by the server.

``begin`` makes the provider's authorization URL and the secrets this one sign-in needs (state,
nonce, PKCE verifier), which the caller keeps for the browser in a signed, short-lived cookie.
``finish`` checks the state, trades the code (and verifier) for tokens at the provider's token
endpoint and checks the ID token (signature, issuer, audience, expiry, nonce). Authlib does the
protocol; ``IdentityTokenValidator`` the token checks.
"""

from __future__ import annotations

import dataclasses
import hmac
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from spotcheck.auth.identity_tokens import (
    ExternalIdentity,
    IdentityTokenError,
    IdentityTokenValidator,
    verified_email,
)
from spotcheck.auth.provider import OpenIdProvider, ProviderUnavailableError

__all__ = ["OidcSignIn", "PendingSignIn", "SignInFailedError"]

_SCOPE = "openid email"


class SignInFailedError(Exception):
    """The sign-in at the provider did not complete; the message says why, for the person signing in."""


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What one sign-in must find again when the browser comes back from the provider."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


class OidcSignIn:
    def __init__(
        self, *, provider: OpenIdProvider, validator: IdentityTokenValidator, client_id: str, client_secret: str | None
    ) -> None:
        self._provider = provider
        self._validator = validator
        self._client_id = client_id
        self._client_secret = client_secret

    def _client(self, redirect_uri: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self._client_id,
            client_secret=self._client_secret,
            # A public client (no secret) authenticates by PKCE alone.
            token_endpoint_auth_method="client_secret_basic" if self._client_secret else "none",
            scope=_SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=10.0,
        )

    def begin(self, *, redirect_uri: str) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL to send the browser to, and what to keep until it returns."""
        endpoint = self._provider.metadata().authorization_endpoint
        pending = PendingSignIn(
            state=generate_token(32),
            nonce=generate_token(32),
            code_verifier=generate_token(64),
            redirect_uri=redirect_uri,
        )
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                endpoint, state=pending.state, code_verifier=pending.code_verifier, nonce=pending.nonce
            )
        return str(url), pending

    def finish(self, *, pending: PendingSignIn, state: str, code: str) -> ExternalIdentity:
        """Who signed in, once the state matches and the provider's ID token passes every check."""
        if not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise SignInFailedError("The sign-in answer does not belong to this browser's sign-in; start again.")
        endpoint = self._provider.metadata().token_endpoint
        try:
            with self._client(pending.redirect_uri) as client:
                token: dict[str, Any] = client.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                    redirect_uri=pending.redirect_uri,
                )
        except OAuthError as exc:
            raise SignInFailedError(f"The identity provider refused the sign-in ({exc.error}); start again.") from exc
        except httpx2.HTTPError as exc:
            raise ProviderUnavailableError(f"The identity provider cannot be reached ({exc}).", retry_after=5) from exc
        except (TypeError, ValueError) as exc:  # a body that is no token response (a proxy's page, say)
            message = "The identity provider's token endpoint answered no token."
            raise ProviderUnavailableError(message, retry_after=5) from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailedError("The identity provider sent no ID token; is the 'openid' scope allowed?")
        try:
            identity = self._validator.validate(id_token, nonce=pending.nonce)
        except IdentityTokenError as exc:
            raise SignInFailedError(f"The identity provider's ID token was refused: {exc}.") from exc
        access_token = token.get("access_token")
        if identity.email is None and isinstance(access_token, str):
            # Providers may give the scope's claims (the address) at userinfo only (OpenID Connect Core §5.4).
            claims = self._provider.userinfo(access_token) or {}
            if claims.get("sub") == identity.subject:  # §5.3.2: the answer must be for this subject
                identity = dataclasses.replace(identity, email=verified_email(claims))
        return identity
