"""Cookie sessions for the web UI, and the CSRF check that guards them.

API clients keep using bearer tokens. The page instead holds a signed token (the same kind
``TokenIssuer`` makes) in an HttpOnly, SameSite=Strict cookie that its scripts cannot read, so a
script injected into the page cannot steal it. A cookie is sent by the browser on its own, so
every state-changing request it authenticates must also carry a CSRF token: an HMAC keyed by
the session token, which only a page that was told it (by ``/ui/session``) can know, and which
changes with every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "CSRF_HEADER",
    "SAFE_METHODS",
    "clear_session_cookie",
    "csrf_token_for",
    "is_csrf_valid",
    "read_session_cookie",
    "set_session_cookie",
]

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Over HTTPS the ``__Host-`` prefix makes the browser refuse a cookie that is not Secure, has a
# Domain, or a Path other than "/": a sibling subdomain cannot plant a session of its own.
_SECURE_COOKIE = "__Host-spotcheck_session"
_PLAIN_COOKIE = "spotcheck_session"
_CSRF_CONTEXT = b"spotcheck-ui-csrf-v1"


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _cookie_name(request: Request) -> str:
    return _SECURE_COOKIE if _is_https(request) else _PLAIN_COOKIE


def csrf_token_for(session_token: str) -> str:
    """The CSRF token that belongs to this session token."""
    digest = hmac.new(session_token.encode(), _CSRF_CONTEXT, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def is_csrf_valid(request: Request, session_token: str) -> bool:
    """Whether a cookie-authenticated request may proceed: safe methods always, others with the header."""
    if request.method in SAFE_METHODS:
        return True
    sent = request.headers.get(CSRF_HEADER, "")
    return hmac.compare_digest(sent.encode(), csrf_token_for(session_token).encode())


def read_session_cookie(request: Request) -> str | None:
    return request.cookies.get(_cookie_name(request)) or None


def set_session_cookie(response: Response, request: Request, *, token: str, lifetime: timedelta) -> None:
    response.set_cookie(
        _cookie_name(request),
        token,
        max_age=int(lifetime.total_seconds()),
        path="/",
        secure=_is_https(request),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(_cookie_name(request), path="/", secure=_is_https(request), httponly=True, samesite="strict")
