"""A size limit on every request body, enforced while it is read.

JSON, forms and every other body that is not an image upload are held in memory whole before a
route sees them, so each may be at most ``limit`` bytes (64 KiB unless configured): a larger one
is refused with 413 before it is held, whether it declares its length or arrives chunked without
one. Image uploads keep their own, larger limit (``api.uploads``), which streams to a bound too.
With the server's connection cap (``api.server``) the bodies held at once are bounded as well.

Starlette's ``RequestBodyLimitMiddleware`` does the counting too, but answers in plain text and
with one limit for all routes; this answers the API's JSON error and leaves uploads to their own.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_BODY_LIMIT", "BodyLimit", "BodyTooLargeError", "body_too_large_message"]

DEFAULT_BODY_LIMIT = 64 * 1024


def body_too_large_message(limit: int) -> str:
    return f"The request body is larger than the limit of {limit:,} bytes; send a smaller one."


class BodyTooLargeError(HTTPException):
    """Raised by ``receive`` once the body passes the limit; answered 413 wherever it surfaces."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=body_too_large_message(limit))


class BodyLimit:
    """Pure ASGI: at most ``limit`` body bytes per request, except where ``exempt(scope)`` holds."""

    def __init__(self, app: ASGIApp, *, limit: int, exempt: Callable[[Scope], bool]) -> None:
        self._app = app
        self._limit = limit
        self._exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope):
            await self._app(scope, receive, send)
            return
        limit = self._limit
        if _declared_length(scope) > limit:
            await _refuse(limit, scope, receive, send)
            return
        received = 0
        started = exceeded = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLargeError(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if exceeded:  # the rest of the body is never read: the connection cannot serve another request
                    MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        try:
            await self._app(scope, counted_receive, watched_send)
        except BodyTooLargeError:
            if started:
                raise
            await _refuse(limit, scope, receive, send)


def _declared_length(scope: Scope) -> int:
    for key, value in scope["headers"]:
        if key == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


async def _refuse(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    # Connection: close, so the server need not read the rest of a body nobody wants.
    headers = {"Connection": "close"}
    await JSONResponse({"detail": body_too_large_message(limit)}, status_code=413, headers=headers)(
        scope, receive, send
    )
