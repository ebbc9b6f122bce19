"""Serve the web UI: the page at ``/`` and its files under ``/static/``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from spotcheck.web.headers import apply_page_headers

__all__ = ["STATIC_DIR", "install_web_ui"]

STATIC_DIR = Path(str(resources.files("spotcheck.web") / "static"))


class _PageStaticFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        apply_page_headers(response.headers)
        return response


async def _index() -> Response:
    response = FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
    apply_page_headers(response.headers)
    return response


async def _shared_page(token: str) -> Response:
    """A shared spot's read-only view: the page's share.html when it has one, the page itself otherwise."""
    page = STATIC_DIR / "share.html"
    response = FileResponse(
        page if page.is_file() else STATIC_DIR / "index.html", media_type="text/html; charset=utf-8"
    )
    apply_page_headers(response.headers)
    return response


def install_web_ui(app: FastAPI) -> None:
    """Add the page after the API's routes; besides ``/`` it takes ``/static`` and ``/share/{token}``."""
    app.add_api_route("/", _index, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/share/{token}", _shared_page, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/static", _PageStaticFiles(directory=STATIC_DIR), name="web-static")
