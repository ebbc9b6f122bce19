"""Security headers on every answer: JSON, images, the API description, errors (500s included).

The web page sets its own, stricter-for-a-page headers (``web.headers``); whatever a response
already carries is kept, and everything else gets these. Personal answers (accounts, images,
results) are never stored by a browser or a proxy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CONTENT_SECURITY_POLICY", "DOCS_CONTENT_SECURITY_POLICY", "PERSONAL_PREFIXES", "SecurityHeaders"]

# JSON and images need nothing from anywhere: if a browser ever renders one, it runs nothing.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# Swagger UI and ReDoc as FastAPI serves them: inline bootstrap script, assets from jsDelivr,
# ReDoc's web worker and Google font. Only sent when SPOTCHECK_API_DOCS turns the pages on.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        "font-src https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "connect-src 'self'",
        "worker-src blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    )
)

_COMMON: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

PERSONAL_PREFIXES = (
    "/auth",
    "/images",
    "/detect",
    "/ui/session",
    "/spots",
    "/shared",
    "/reminders",
    "/reminders.ics",
    "/account",
)
_DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def _is_personal(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PERSONAL_PREFIXES)


class SecurityHeaders:
    """Pure ASGI, so uploads keep streaming: it only touches the response's start message."""

    def __init__(self, app: ASGIApp, *, docs_enabled: bool) -> None:
        self._app = app
        self._docs_enabled = docs_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        csp = (
            DOCS_CONTENT_SECURITY_POLICY if self._docs_enabled and path in _DOCS_PATHS else API_CONTENT_SECURITY_POLICY
        )
        personal = _is_personal(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _COMMON.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp)
                if personal and "no-store" not in headers.get("Cache-Control", ""):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self._app(scope, receive, send_with_headers)
