"""Access tokens the provider issues as opaque strings (not JWTs), checked at its userinfo endpoint.

Many providers (Keycloak, Auth0, the certified ``oidc-provider`` by default) hand out access
tokens that only they can read. The userinfo endpoint (OpenID Connect Core §5.3) answers for a
token it issued and is still valid, with the subject it belongs to. It cannot say which client the
token was issued to, so with this check on, a token the same provider issued to another of its
clients is taken too: switch it off (``SPOTCHECK_OIDC_OPAQUE_TOKENS=false``) where other clients of
the provider should not reach SpotCheck, and use JWT access tokens with an audience instead.

Answers are kept for ``cache_seconds`` (refusals too), so a token used for many requests costs the
provider one question a minute, and a flood of made-up tokens one question each.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from spotcheck.auth.identity_tokens import ExternalIdentity, IdentityTokenError, verified_email
from spotcheck.auth.provider import OpenIdProvider

__all__ = ["UserinfoTokenValidator", "looks_opaque"]

# RFC 6750's b64token, within a sane length: anything else is no token at all.
_OPAQUE = re.compile(r"[A-Za-z0-9\-._~+/]{16,4096}=*")


def looks_opaque(token: str) -> bool:
    """Whether ``token`` could be an opaque access token: a bearer token that is not a JWT."""
    return token.count(".") != 2 and _OPAQUE.fullmatch(token) is not None


class UserinfoTokenValidator:
    """The identity of an opaque access token, as the provider's userinfo endpoint states it."""

    def __init__(
        self,
        *,
        provider: OpenIdProvider,
        cache_seconds: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = provider
        self._cache_seconds = cache_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: OrderedDict[bytes, tuple[float, ExternalIdentity | None]] = OrderedDict()

    def validate(self, token: str) -> ExternalIdentity:
        key = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        with self._lock:
            cached = self._answers.get(key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            identity = cached[1]
        else:
            identity = self._ask(token)
            with self._lock:
                self._answers[key] = (now, identity)
                self._answers.move_to_end(key)
                while len(self._answers) > self._max_entries:
                    self._answers.popitem(last=False)
        if identity is None:
            raise IdentityTokenError("the identity provider does not take this access token (userinfo refused it)")
        return identity

    def _ask(self, token: str) -> ExternalIdentity | None:
        claims = self._provider.userinfo(token)
        if claims is None:
            return None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            return None
        return ExternalIdentity(issuer=self._provider.issuer, subject=subject, email=verified_email(claims))
