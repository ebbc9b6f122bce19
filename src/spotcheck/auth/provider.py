"""An OpenID provider as SpotCheck sees it: its discovery document and its signing keys (JWKS).

Both are read over HTTP on first use, not at start-up, so SpotCheck starts while the provider is
down. The key set is read again when a token names a key it does not hold (the provider rotated
its keys), but at most once per ``refetch_interval``: a flood of tokens with made-up key ids
cannot turn into a flood of requests to the provider.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx2
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from spotcheck.auth.throttle import RetryLaterError
from spotcheck.auth.tokens import InvalidTokenError

__all__ = [
    "HttpJsonFetcher",
    "JsonFetcher",
    "MemoryJsonFetcher",
    "OpenIdProvider",
    "ProviderMetadata",
    "ProviderUnavailableError",
    "UnknownKeyError",
]

_MAX_DOCUMENT_BYTES = 512 * 1024
_T = TypeVar("_T")


class ProviderUnavailableError(RetryLaterError):
    """The provider's discovery document or keys could not be read; the message says why."""


class UnknownKeyError(InvalidTokenError):
    """The token names a signing key the provider does not publish."""


class JsonFetcher(Protocol):
    """Reads one JSON object from a URL; ProviderUnavailableError when it cannot."""

    def get_json(self, url: str) -> dict[str, Any]: ...

    def userinfo(self, url: str, token: str) -> dict[str, Any] | None:
        """The claims the provider's userinfo endpoint gives for ``token``; None when it refuses the token."""
        ...


class HttpJsonFetcher:
    """GET over HTTP(S) with httpx: short timeouts, no redirects, a bounded body."""

    def __init__(self, *, timeout: float = 5.0) -> None:
        self._timeout = timeout

    def get_json(self, url: str) -> dict[str, Any]:
        try:
            with httpx2.Client(timeout=self._timeout, follow_redirects=False) as client:
                response = client.get(url, headers={"Accept": "application/json"})
        except httpx2.HTTPError as exc:
            raise ProviderUnavailableError(
                f"The identity provider at {url} cannot be reached ({exc}).", retry_after=5
            ) from exc
        if response.status_code != 200 or len(response.content) > _MAX_DOCUMENT_BYTES:
            raise ProviderUnavailableError(
                f"The identity provider answered {response.status_code} for {url}; expected a JSON document.",
                retry_after=5,
            )
        try:
            document = response.json()
        except ValueError as exc:
            raise ProviderUnavailableError(f"The identity provider's {url} is not JSON.", retry_after=5) from exc
        if not isinstance(document, dict):
            raise ProviderUnavailableError(f"The identity provider's {url} is not a JSON object.", retry_after=5)
        return document

    def userinfo(self, url: str, token: str) -> dict[str, Any] | None:
        try:
            with httpx2.Client(timeout=self._timeout, follow_redirects=False) as client:
                response = client.get(url, headers={"Accept": "application/json", "Authorization": f"Bearer {token}"})
        except httpx2.HTTPError as exc:
            raise ProviderUnavailableError(
                f"The identity provider at {url} cannot be reached ({exc}).", retry_after=5
            ) from exc
        if response.status_code in (400, 401, 403):
            return None  # RFC 6750: the provider does not take this token
        if response.status_code != 200 or len(response.content) > _MAX_DOCUMENT_BYTES:
            raise ProviderUnavailableError(
                f"The identity provider answered {response.status_code} for {url}.", retry_after=5
            )
        try:
            claims = response.json()
        except ValueError:
            return None  # a signed (JWT) userinfo answer: not taken, the token's holder can ask for JSON
        return claims if isinstance(claims, dict) else None


class MemoryJsonFetcher:
    """Documents held in a dict, for fast tests; ``requests`` counts the reads of each URL."""

    def __init__(self, documents: Mapping[str, dict[str, Any]] | None = None) -> None:
        self.documents: dict[str, dict[str, Any]] = dict(documents or {})
        self.requests: dict[str, int] = {}
        self.userinfo_claims: dict[str, dict[str, Any]] = {}  # by access token

    def get_json(self, url: str) -> dict[str, Any]:
        self.requests[url] = self.requests.get(url, 0) + 1
        if url not in self.documents:
            raise ProviderUnavailableError(f"No document at {url}.", retry_after=5)
        return self.documents[url]

    def userinfo(self, url: str, token: str) -> dict[str, Any] | None:
        self.requests[url] = self.requests.get(url, 0) + 1
        return self.userinfo_claims.get(token)


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """What SpotCheck uses of the discovery document (OpenID Connect Discovery 1.0)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


class OpenIdProvider:
    """One issuer's discovery document and key set, read lazily and kept."""

    def __init__(
        self,
        *,
        issuer: str,
        fetcher: JsonFetcher,
        refetch_interval: float = 60.0,
        failure_pause: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self._fetcher = fetcher
        self._refetch_interval = refetch_interval
        self._failure_pause = failure_pause
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None
        self._keys_read_at = 0.0
        self._failure: ProviderUnavailableError | None = None
        self._failed_at = 0.0

    def _fetch(self, read: Callable[[], _T]) -> _T:
        """``read()``, unless it failed moments ago: then the same failure at once, without a request.

        A provider that is down is not asked again by every request that carries a token for it.
        Call with the lock held.
        """
        if self._failure is not None and self._clock() - self._failed_at < self._failure_pause:
            # A new exception each time: re-raising one object would grow its traceback without end.
            raise ProviderUnavailableError(str(self._failure), retry_after=self._failure.retry_after)
        try:
            result = read()
        except ProviderUnavailableError as exc:
            self._failure, self._failed_at = exc, self._clock()
            raise
        self._failure = None
        return result

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata is None:
                self._metadata = self._fetch(self._discover)
            return self._metadata

    def _discover(self) -> ProviderMetadata:
        url = discovery_url(self.issuer)
        document = self._fetcher.get_json(url)
        # OpenID Connect Discovery §4.3: the document must name exactly the issuer it was read from.
        if document.get("issuer") != self.issuer:
            raise ProviderUnavailableError(
                f"The discovery document at {url} names issuer {document.get('issuer')!r}, not {self.issuer!r}; "
                "set SPOTCHECK_OIDC_ISSUER to the issuer exactly as the provider writes it.",
                retry_after=60,
            )
        fields = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        missing = [name for name in fields if not isinstance(document.get(name), str)]
        if missing:
            raise ProviderUnavailableError(
                f"The discovery document at {url} lacks {', '.join(missing)}.", retry_after=60
            )
        return ProviderMetadata(
            issuer=self.issuer,
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=document["userinfo_endpoint"]
            if isinstance(document.get("userinfo_endpoint"), str)
            else None,
        )

    def userinfo(self, token: str) -> dict[str, Any] | None:
        """The provider's claims for an opaque access token (None: it refuses it, or has no userinfo)."""
        endpoint = self.metadata().userinfo_endpoint
        if endpoint is None:
            return None
        # Not under the lock: one slow answer must not hold up every other request's check.
        with self._lock:
            if self._failure is not None and self._clock() - self._failed_at < self._failure_pause:
                raise ProviderUnavailableError(str(self._failure), retry_after=self._failure.retry_after)
        try:
            return self._fetcher.userinfo(endpoint, token)
        except ProviderUnavailableError as exc:
            with self._lock:
                self._failure, self._failed_at = exc, self._clock()
            raise

    def signing_key(self, kid: str | None) -> Key:
        """The published key named ``kid``; the key set is read again (bounded) when it is not there."""
        jwks_uri = self.metadata().jwks_uri
        with self._lock:
            if self._keys is not None:
                key = _find(self._keys, kid)
                if key is not None:
                    return key
                if self._clock() - self._keys_read_at < self._refetch_interval:
                    raise UnknownKeyError(f"the token's signing key {kid!r} is not one the provider publishes")
            self._keys = self._fetch(lambda: self._read_keys(jwks_uri))
            self._keys_read_at = self._clock()
            key = _find(self._keys, kid)
        if key is None:
            raise UnknownKeyError(f"the token's signing key {kid!r} is not one the provider publishes")
        return key

    def _read_keys(self, jwks_uri: str) -> KeySet:
        document = self._fetcher.get_json(jwks_uri)
        keys = document.get("keys")
        if not isinstance(keys, list):
            raise ProviderUnavailableError(f"The provider's key set at {jwks_uri} holds no keys.", retry_after=60)
        # Keys SpotCheck cannot use (encryption keys, unknown types) are skipped, not fatal.
        usable = [key for key in keys if isinstance(key, dict) and key.get("use", "sig") == "sig"]
        try:
            return KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError) as exc:
            raise ProviderUnavailableError(
                f"The provider's key set at {jwks_uri} cannot be read: {exc}", retry_after=60
            ) from exc


def _find(keys: KeySet, kid: str | None) -> Key | None:
    if kid is None:
        # Without a kid the key is only unambiguous when the provider publishes exactly one.
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((key for key in keys.keys if key.kid == kid), None)
