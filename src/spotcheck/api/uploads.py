"""Read request bodies without ever holding more than the upload limit."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import HTTPException, Request
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect
from starlette.types import Message

from spotcheck.api.errors import UploadTooLargeError
from spotcheck.gallery.rows import ImageSummary
from spotcheck.gallery.service import Gallery, PhotoQuotaError, SpotGoneError
from spotcheck.images import (
    CorruptImageError,
    DecodersBusyError,
    DecodeTimeoutError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidFileNameError,
    UnsupportedMediaError,
    UnusualJpegError,
)
from spotcheck.observability import UploadRejection, metrics
from spotcheck.spots import SpotNotFoundError
from spotcheck.storage import StorageError

__all__ = [
    "ACCEPTED_BODY_TYPES",
    "BUSY_RETRY_AFTER_SECONDS",
    "UploadAdmission",
    "admit_upload",
    "check_declared_length",
    "count_upload",
    "limit_body",
    "read_body",
    "read_upload",
    "rejection_reason",
    "store_upload",
    "upload_limiter",
]

# What PUT /images/{fileName} documents; any Content-Type is read the same way (content decides).
ACCEPTED_BODY_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/octet-stream")

_CHUNK = 64 * 1024
BUSY_RETRY_AFTER_SECONDS = 2  # a decode of an ordinary photo takes well under a second


def _too_large(limit: int) -> UploadTooLargeError:
    return UploadTooLargeError(f"The upload is larger than the limit of {limit / 1_000_000:g} MB.")


def check_declared_length(request: Request, limit: int, *, framing: int = 0) -> None:
    """Refuse at once a body declared longer than ``limit`` (plus ``framing`` bytes of envelope)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + framing:
        raise _too_large(limit)


def limit_body(request: Request, limit: int, *, framing: int = 0) -> Request:
    """The same request, but reading more than ``limit + framing`` body bytes raises UploadTooLargeError.

    The multipart parser spools a whole file part to disk before the handler sees it; without
    this a chunked request (no Content-Length) could fill the disk before any check ran.
    """
    check_declared_length(request, limit, framing=framing)
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit + framing:
                raise _too_large(limit)
        return message

    return Request(request.scope, receive)


async def read_body(request: Request, limit: int) -> bytes:
    check_declared_length(request, limit)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise _too_large(limit)
    return bytes(data)


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise _too_large(limit)
    return bytes(data)


class UploadAdmission:
    """How many uploads are in flight, from before their body is read until they are stored.

    At most ``decoding`` of them decode at once and the rest wait; beyond ``decoding + waiting`` an
    upload is refused before its body is read, so the bodies held in memory have a bound too. Used
    from the event loop only.
    """

    def __init__(self, *, decoding: int, waiting: int) -> None:
        self.limit = decoding + waiting
        self.in_flight = 0

    def enter(self) -> None:
        if self.in_flight >= self.limit:
            raise DecodersBusyError(
                f"The server is busy reading {self.in_flight} other photos; "
                f"please send this one again in {BUSY_RETRY_AFTER_SECONDS} seconds.",
                retry_after=BUSY_RETRY_AFTER_SECONDS,
            )
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1


async def admit_upload(request: Request) -> AsyncIterator[None]:
    """Route dependency (after count_upload): a place among the uploads in flight, or 503 at once."""
    admission: UploadAdmission = request.app.state.upload_admission
    admission.enter()
    try:
        yield
    finally:
        admission.leave()


def upload_limiter(concurrency: int) -> anyio.CapacityLimiter:
    """Threads that may sanitise and store uploads at once (created inside the event loop)."""
    return anyio.CapacityLimiter(concurrency)


async def store_upload(
    request: Request, gallery: Gallery, *, owner_id: str, file_name: str, data: bytes, spot_id: str | None = None
) -> ImageSummary:
    """Gallery.upload on a worker thread, at most as many at once as decodes may run.

    Uploads beyond the decode bound wait here, in the event loop, instead of each holding one of
    the shared thread pool's threads (40) that every other route needs.
    """
    limiter: anyio.CapacityLimiter = request.app.state.upload_limiter
    upload = functools.partial(gallery.upload, owner_id=owner_id, file_name=file_name, data=data, spot_id=spot_id)
    return await anyio.to_thread.run_sync(upload, limiter=limiter)


_REJECTIONS: dict[type[Exception], UploadRejection] = {
    UploadTooLargeError: UploadRejection.TOO_LARGE,
    UnsupportedMediaError: UploadRejection.UNSUPPORTED_TYPE,
    CorruptImageError: UploadRejection.DAMAGED,
    ImageTooLargeError: UploadRejection.TOO_MANY_PIXELS,
    ImageTooSmallError: UploadRejection.TOO_SMALL,
    UnusualJpegError: UploadRejection.DAMAGED,
    DecodeTimeoutError: UploadRejection.DAMAGED,
    DecodersBusyError: UploadRejection.BUSY,
    PhotoQuotaError: UploadRejection.OVER_QUOTA,
    InvalidFileNameError: UploadRejection.BAD_FILE_NAME,
    SpotNotFoundError: UploadRejection.NO_SUCH_SPOT,
    SpotGoneError: UploadRejection.NO_SUCH_SPOT,
    StorageError: UploadRejection.STORAGE_UNAVAILABLE,
    ClientDisconnect: UploadRejection.CLIENT_DISCONNECTED,
}


def rejection_reason(exc: Exception) -> UploadRejection:
    """The metrics reason for an upload that ended in ``exc``."""
    for exc_type, reason in _REJECTIONS.items():
        if isinstance(exc, exc_type):
            return reason
    if isinstance(exc, HTTPException):
        return UploadRejection.UNAUTHORIZED if exc.status_code == 401 else UploadRejection.BAD_REQUEST
    return UploadRejection.ERROR


async def count_upload() -> AsyncIterator[None]:
    """Route dependency (listed first): counts the upload accepted, or rejected with the reason it failed."""
    try:
        yield
    except Exception as exc:
        metrics.upload_rejected(rejection_reason(exc))
        raise
    metrics.upload_accepted()
