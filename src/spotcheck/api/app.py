"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp

from spotcheck import __version__
from spotcheck.api.body_limit import BodyLimit
from spotcheck.api.errors import install_error_handlers
from spotcheck.api.headers import SecurityHeaders
from spotcheck.api.image_paths import is_image_upload
from spotcheck.api.methods import install_allow_header
from spotcheck.api.parameters import document_parameter_refusal, refuse_control_characters
from spotcheck.api.request_log import RequestLog
from spotcheck.api.routes import API_ROUTERS, metrics
from spotcheck.api.uploads import UploadAdmission, upload_limiter
from spotcheck.api.validation import install_validation_handler
from spotcheck.observability import metrics as observed
from spotcheck.runtime import Runtime
from spotcheck.web import install_web_ui

__all__ = ["create_app"]

_DESCRIPTION = (
    "Upload a photo of a skin lesion; SpotCheck classifies it in the background and "
    "`GET /detect/{fileName}` returns a recommendation. **A screening aid, never a diagnosis.**"
)


class _SpotCheckApp(FastAPI):
    def openapi(self) -> dict[str, Any]:
        fresh = self.openapi_schema is None
        schema = super().openapi()
        if fresh:
            document_parameter_refusal(schema)
        return schema

    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's error middleware, so a 500 answer carries the headers and the request id too.
        return RequestLog(SecurityHeaders(super().build_middleware_stack(), docs_enabled=self.docs_url is not None))


def create_app(runtime: Runtime, *, sole_worker: bool = True) -> FastAPI:
    uploads = runtime.settings.uploads

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upload_limiter = upload_limiter(uploads.max_concurrent_decodes)
        app.state.upload_admission = UploadAdmission(
            decoding=uploads.max_concurrent_decodes, waiting=uploads.max_waiting_decodes
        )
        runtime.start(sole_worker=sole_worker)
        runtime.accounts.prepare()
        try:
            yield
        finally:
            runtime.stop()

    # Swagger UI and ReDoc load their scripts from a CDN, on the origin of the session cookie: off
    # unless SPOTCHECK_API_DOCS asks for them. /openapi.json (plain JSON) is always there.
    docs = runtime.settings.server.api_docs
    app = _SpotCheckApp(
        title="SpotCheck",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        dependencies=[Depends(refuse_control_characters)],
    )
    app.state.runtime = runtime
    observed.model_loaded(runtime.classifier.version)
    install_error_handlers(app)
    install_validation_handler(app)
    install_allow_header(app)
    for router in API_ROUTERS:
        app.include_router(router)
    if runtime.settings.monitoring.metrics:
        app.include_router(metrics.router)
    install_web_ui(app)
    # Text answers (the page's files, JSON) shrink to a quarter or less; JPEGs are left alone
    # (the middleware skips image types), and answers under 500 bytes are not worth a gzip header.
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(BodyLimit, limit=runtime.settings.server.max_body_bytes, exempt=is_image_upload)
    return app
