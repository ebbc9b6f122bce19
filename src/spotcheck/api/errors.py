"""Map domain errors to HTTP answers, in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from spotcheck.auth import EmailTakenError, InvalidCredentialsError, WeakPasswordError
from spotcheck.gallery.service import AnalysisFailedError, ImageNotFoundError
from spotcheck.images import (
    CorruptImageError,
    ImageTooLargeError,
    InvalidFileNameError,
    UnsupportedMediaError,
)
from spotcheck.storage import StorageError

__all__ = ["UploadTooLargeError", "install_error_handlers"]


class UploadTooLargeError(Exception):
    pass


_STATUS: dict[type[Exception], int] = {
    UploadTooLargeError: 413,
    UnsupportedMediaError: 415,
    CorruptImageError: 422,
    ImageTooLargeError: 422,
    InvalidFileNameError: 400,
    ImageNotFoundError: 404,
    AnalysisFailedError: 422,
    EmailTakenError: 409,
    WeakPasswordError: 422,
    InvalidCredentialsError: 401,
    StorageError: 503,
}


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, status in _STATUS.items():

        async def handler(_request: Request, exc: Exception, status: int = status) -> JSONResponse:
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            message = str(exc)
            if isinstance(exc, StorageError):
                message = "Storage is unavailable right now; please try again shortly."
            return JSONResponse({"detail": message}, status_code=status, headers=headers)

        app.add_exception_handler(exc_type, handler)
