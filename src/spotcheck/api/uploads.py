"""Read request bodies without ever holding more than the upload limit."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from spotcheck.api.errors import UploadTooLargeError

__all__ = ["check_declared_length", "read_body", "read_upload"]

_CHUNK = 64 * 1024


def _too_large(limit: int) -> UploadTooLargeError:
    return UploadTooLargeError(f"The upload is larger than the limit of {limit / 1_000_000:g} MB.")


def check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)


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
