"""Serve the web UI: the page at ``/`` and at its screens' addresses under ``/app/``, its service
worker at ``/sw.js`` (whose scope is then the whole site), its manifest, and its files under
``/static/``."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from spotcheck.web.headers import apply_page_headers

__all__ = ["STATIC_DIR", "install_web_ui"]

STATIC_DIR = Path(str(resources.files("spotcheck.web") / "static"))

# Both session cookie names (api/security.py: plain, and "__Host-" over HTTPS) end so.
_SESSION_COOKIE_SUFFIX = "spotcheck_session"
_HTML_TAG = '<html lang="en">'


class _PageStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        apply_page_headers(response.headers)
        return response


def _file(name: str, media_type: str) -> Response:
    response = FileResponse(STATIC_DIR / name, media_type=media_type)
    apply_page_headers(response.headers)
    return response


@cache
def _index_html() -> str:
    return (STATIC_DIR / "index.html").read_text(encoding="utf-8")


async def _index(request: Request) -> Response:
    """The page, marked when the request carried no session cookie: its script then shows the
    sign-in form without asking ``GET /ui/session`` for a session it cannot have (a 401 that the
    browser would log as an error). With a cookie the script asks, since the cookie may have expired."""
    html = _index_html()
    if not any(name.endswith(_SESSION_COOKIE_SUFFIX) for name in request.cookies):
        html = html.replace(_HTML_TAG, '<html lang="en" data-signed-out>', 1)
    response = HTMLResponse(html)
    apply_page_headers(response.headers)
    response.headers["Vary"] = "Cookie"
    return response


async def _screen(rest: str, request: Request) -> Response:
    """Every screen's address (``/app/check``, ``/app/spots/<id>``...) is the page: reload and bookmarks work."""
    return await _index(request)


async def _share(token: str) -> Response:
    """The read-only view of a shared spot; its script reads the token from the address and asks
    ``GET /shared/{token}``, which answers 404 for a link that is unknown, expired or revoked."""
    return _file("share.html", "text/html; charset=utf-8")


async def _service_worker() -> Response:
    return _file("sw.js", "text/javascript; charset=utf-8")


async def _manifest() -> Response:
    return _file("manifest.webmanifest", "application/manifest+json")


def install_web_ui(app: FastAPI) -> None:
    """Add the page after the API's routes: ``/``, ``/app/...``, ``/share/{token}``, ``/sw.js``,
    ``/manifest.webmanifest`` and the files under ``/static``."""
    methods = ["GET", "HEAD"]
    app.add_api_route("/", _index, methods=methods, include_in_schema=False)
    app.add_api_route("/app/{rest:path}", _screen, methods=methods, include_in_schema=False)
    app.add_api_route("/share/{token}", _share, methods=methods, include_in_schema=False)
    app.add_api_route("/sw.js", _service_worker, methods=methods, include_in_schema=False)
    app.add_api_route("/manifest.webmanifest", _manifest, methods=methods, include_in_schema=False)
    app.mount("/static", _PageStaticFiles(directory=STATIC_DIR), name="web-static")
