"""A request id for every request, and one log line for every answer.

The id is the client's ``X-Request-ID`` when it is a sane token (a proxy or load balancer usually
sets one), otherwise a new one; it goes back in the answer's ``X-Request-ID`` header and into a
context variable that ``observability.logs.ContextFilter`` puts on every log line written while
the request is handled.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotcheck.observability.logs import bind_request_id

__all__ = ["REQUEST_ID_HEADER", "RequestLog", "request_id_from"]

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and . _ : - only, so an id can never forge a log line or a header; UUIDs,
# hex ids and the "Root=1-…" style of load balancers fit.
_SANE_ID = re.compile(r"[A-Za-z0-9._:=-]{1,128}")

access_log = logging.getLogger("spotcheck.access")


def request_id_from(value: str | None) -> str:
    """``value`` when it is a sane id, else a new random one."""
    if value is not None and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestLog:
    """Pure ASGI, outermost: even a 500 answer carries the id and gets its line."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), None)
        request_id = request_id_from(incoming.decode("latin-1") if incoming is not None else None)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        # Not reset afterwards: each request runs in a task of its own whose context is a copy, so
        # nothing leaks to the next request, and a server's own report of a crash still names the id.
        bind_request_id(request_id)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            access_log.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
