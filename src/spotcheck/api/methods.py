"""The framework's own HTTP errors: 405 answers that list every method the path allows, not just
the first route's, and a JSON body that is not text (or nested too deep) answered like other
malformed JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from spotcheck.api.validation import unparsable_json

__all__ = ["install_allow_header"]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route fully matches for this path (PUT, GET and DELETE of one path are three routes)."""
    return [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in app.router.routes)
    ]


def install_allow_header(app: FastAPI) -> None:
    """Starlette routes one method per route and its 405 names only that route's methods (RFC 9110: all)."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
            return unparsable_json(exc.__cause__)
        if exc.status_code == 405:
            allowed = _allowed_methods(app, request)
            if allowed:
                exc = HTTPException(405, exc.detail, headers={**(exc.headers or {}), "Allow": ", ".join(allowed)})
        return await http_exception_handler(request, exc)

    app.add_exception_handler(HTTPException, handler)
