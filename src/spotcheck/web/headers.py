"""The security headers every web UI response carries."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders

__all__ = ["CONTENT_SECURITY_POLICY", "PAGE_HEADERS", "apply_page_headers"]

# No inline script or style anywhere in the UI, so nothing needs 'unsafe-inline'. Thumbnails and
# previews are blob: URLs made from fetched bytes; data: covers the inline favicon. The camera's
# live view is a MediaStream (no URL at all); the manifest and the service worker are the site's own.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The page's own live camera view ("Use camera") only; never a frame's, never the microphone.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    # Revalidate on every load (ETag answers 304), so an upgrade never mixes old and new modules.
    "Cache-Control": "no-cache",
}


def apply_page_headers(headers: MutableHeaders) -> None:
    for name, value in PAGE_HEADERS.items():
        headers[name] = value
