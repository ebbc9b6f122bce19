"""The HTTP server's defences against slow and numerous clients: uvicorn's h11 protocol, extended.

Uvicorn (0.54) closes an idle keep-alive connection (``timeout_keep_alive``), but starts no timer
while a request's headers arrive: a client that sends half a request holds its connection and file
descriptor for good, and 20,000 of them exhausted the process. Its ``limit_concurrency`` answers
503 only once a request is complete, after the connection was held all along. So each connection
here gets a deadline for its request line and headers (408 and closed when it passes), a body
that stops arriving for as long is dropped, and a connection beyond the cap is answered 503 and
closed as soon as it is accepted.
"""

from __future__ import annotations

import asyncio
import json
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["GuardedH11Protocol", "guarded_protocol"]

log = logging.getLogger(__name__)

TOO_MANY_CONNECTIONS = "The server has too many open connections; please try again shortly."
HEADERS_TOO_SLOW = "The request's headers did not arrive in time."
RETRY_AFTER_SECONDS = 5


def _plain_answer(status: str, message: str, *extra: str) -> bytes:
    body = json.dumps({"detail": message}).encode()
    head = [
        f"HTTP/1.1 {status}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *extra,
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


_REFUSED = _plain_answer("503 Service Unavailable", TOO_MANY_CONNECTIONS, f"retry-after: {RETRY_AFTER_SECONDS}")
_TIMED_OUT = _plain_answer("408 Request Timeout", HEADERS_TOO_SLOW)


class GuardedH11Protocol(H11Protocol):
    """H11Protocol with a deadline for each request's headers and a cap on open connections."""

    header_timeout: float = 30.0
    max_connections: int = 1000

    _header_deadline: asyncio.TimerHandle | None = None
    _body_idle: asyncio.TimerHandle | None = None
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._refused = True
            log.warning(
                "refused a connection: %d are open, the cap is %d", len(self.connections) - 1, self.max_connections
            )
            transport.write(_REFUSED)
            transport.close()
            return
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._header_deadline is None and self.conn.their_state is h11.IDLE:
            self._arm_header_deadline()  # a new request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_deadline()  # its request line and headers are in
        self._cancel_body_idle()
        if self.conn.their_state is h11.SEND_BODY:  # more body to come: it may not stall for long
            self._body_idle = self.loop.call_later(self.header_timeout, self._body_stalled)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        self._cancel_body_idle()
        super().connection_lost(exc)

    def _cancel_body_idle(self) -> None:
        if self._body_idle is not None:
            self._body_idle.cancel()
            self._body_idle = None

    def _body_stalled(self) -> None:
        self._body_idle = None
        if self.flow.read_paused:  # the route is not reading yet (waiting for a slot): the client is not to blame
            self._body_idle = self.loop.call_later(self.header_timeout, self._body_stalled)
            return
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            log.info("closed a connection whose request body stopped arriving")
            self.transport.close()  # the route sees the client gone (ClientDisconnect), stores nothing

    def _arm_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(_TIMED_OUT)
            self.transport.close()


def guarded_protocol(*, header_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    """The protocol class to give uvicorn (``http=``), with these limits."""

    class Configured(GuardedH11Protocol):
        pass

    Configured.header_timeout = header_timeout
    Configured.max_connections = max_connections
    return Configured
