"""SageMaker's container contract on the model server: ``GET /ping`` and ``POST /invocations``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from spotcheck.classifier.report import assessment_report
from spotcheck.serving.model import LesionModel
from spotcheck.serving.photos import UnreadablePhotoError

__all__ = ["INVOCATION_TYPES", "MAX_INVOCATION_BYTES", "sagemaker_router"]

INVOCATION_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
# SageMaker's own limit on an invocation payload (serverless endpoints take 4 MB, real-time ones 6 MB).
MAX_INVOCATION_BYTES = 6 * 1024 * 1024


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def sagemaker_router(model: LesionModel) -> APIRouter:
    router = APIRouter()

    @router.get("/ping")
    def ping() -> Response:
        return Response(status_code=200 if model.ready else 503)

    @router.post("/invocations")
    async def invocations(request: Request) -> JSONResponse:
        """The photo as the body; the answer is the JSON `spotcheck classify` prints for one file."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in INVOCATION_TYPES:
            accepted = ", ".join(sorted(INVOCATION_TYPES))
            return _error(415, f"Content-Type {content_type or '(none)'!r} is not a photo; send one of {accepted}")
        body = await request.body()
        if not body:
            return _error(400, "the body is empty; send the photo itself")
        if len(body) > MAX_INVOCATION_BYTES:
            return _error(413, f"the photo has {len(body):,} bytes; at most {MAX_INVOCATION_BYTES:,} are taken")
        try:
            [assessment] = await model.assess([body])
        except UnreadablePhotoError as exc:
            return _error(400, str(exc))
        return JSONResponse(assessment_report(assessment))

    return router
