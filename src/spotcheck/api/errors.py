"""Map domain errors to HTTP answers, in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.requests import ClientDisconnect

from spotcheck.accounts import PasswordNeededError
from spotcheck.api.parameters import InvalidParameterError
from spotcheck.auth import (
    HashingBusyError,
    InvalidCredentialsError,
    InvalidEmailError,
    NoPasswordError,
    ProviderUnavailableError,
    RetryLaterError,
    SignInFailedError,
    TooManyAttemptsError,
    WeakPasswordError,
    WrongPasswordError,
)
from spotcheck.classifier.base import ModelServerUnavailableError
from spotcheck.error_text import first_line
from spotcheck.gallery.heatmaps import HeatmapUnavailableError
from spotcheck.gallery.service import AnalysisFailedError, ImageNotFoundError, PhotoQuotaError, SpotGoneError
from spotcheck.images import DecodersBusyError, ImageRejectedError, InvalidFileNameError, UnsupportedMediaError
from spotcheck.ingest.direct import DirectUploadsUnavailableError
from spotcheck.spots import (
    InvalidSpotError,
    NoAnswersError,
    ShareNotFoundError,
    SpotNotFoundError,
    SpotQuotaError,
)
from spotcheck.spots.zones import UnknownTimeZoneError
from spotcheck.storage import StorageError

__all__ = ["UploadTooLargeError", "install_error_handlers"]

log = logging.getLogger(__name__)


class UploadTooLargeError(Exception):
    pass


# A handler serves its class's subclasses too, unless one has its own: UnsupportedMediaError is 415, every
# other ImageRejectedError (damaged, too many pixels, too small, an unusual JPEG, a decode timeout) 422.
_STATUS: dict[type[Exception], int] = {
    UploadTooLargeError: 413,
    UnsupportedMediaError: 415,
    ImageRejectedError: 422,
    DecodersBusyError: 503,
    InvalidFileNameError: 400,
    InvalidParameterError: 400,
    ImageNotFoundError: 404,
    AnalysisFailedError: 422,
    HeatmapUnavailableError: 404,
    WeakPasswordError: 422,
    InvalidEmailError: 422,
    InvalidCredentialsError: 401,
    TooManyAttemptsError: 429,
    HashingBusyError: 503,
    ProviderUnavailableError: 503,
    SignInFailedError: 400,
    WrongPasswordError: 403,
    NoPasswordError: 403,
    DirectUploadsUnavailableError: 409,
    SpotNotFoundError: 404,
    SpotGoneError: 404,
    ShareNotFoundError: 404,
    NoAnswersError: 404,
    InvalidSpotError: 422,
    PasswordNeededError: 422,
    UnknownTimeZoneError: 422,
    PhotoQuotaError: 409,
    SpotQuotaError: 409,
}

# An outage of a part SpotCheck depends on: 503 with Retry-After and a plain message, one log line.
_OUTAGES: dict[type[Exception], str] = {
    StorageError: "Storage is unavailable right now; please try again shortly.",
    OperationalError: "The database is unavailable right now; please try again shortly.",
    PoolTimeoutError: "The database is unavailable right now; please try again shortly.",
    ModelServerUnavailableError: "The model server is unavailable right now; please try again shortly.",
}
OUTAGE_RETRY_AFTER_SECONDS = 5


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, status in _STATUS.items():

        async def handler(_request: Request, exc: Exception, status: int = status) -> JSONResponse:
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            if isinstance(exc, RetryLaterError | DecodersBusyError):
                headers = {"Retry-After": str(exc.retry_after)}
            return JSONResponse({"detail": str(exc)}, status_code=status, headers=headers)

        app.add_exception_handler(exc_type, handler)
    for exc_type, message in _OUTAGES.items():

        async def outage(request: Request, exc: Exception, message: str = message) -> JSONResponse:
            log.warning("%s %s answered 503: %s", request.method, request.url.path, first_line(exc))
            headers = {"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)}
            return JSONResponse({"detail": message}, status_code=503, headers=headers)

        app.add_exception_handler(exc_type, outage)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)


async def _client_disconnected(request: Request, _exc: Exception) -> Response:
    """A client that goes away mid-upload is routine: one log line, no traceback, nothing stored."""
    log.info("client disconnected during %s %s; nothing stored", request.method, request.url.path)
    return Response(status_code=400)  # never delivered: there is no one left to read it
