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


def _page(name: str) -> Response:
    response = FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8")
    apply_page_headers(response.headers)
    return response


async def _index() -> Response:
    return _page("index.html")


async def _share(token: str) -> Response:
    """The read-only view of a shared spot; its script reads the token from the address and asks
    ``GET /shared/{token}``, which answers 404 for a link that is unknown, expired or revoked."""
    return _page("share.html")


def install_web_ui(app: FastAPI) -> None:
    """Add the page after the API's routes: ``/``, ``/share/{token}`` and the files under ``/static``."""
    app.add_api_route("/", _index, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/share/{token}", _share, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/static", _PageStaticFiles(directory=STATIC_DIR), name="web-static")
