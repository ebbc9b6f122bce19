"""``spotcheck model-server``: the shipped model behind KServe's model server, on one port."""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spotcheck.classifier.oip import MODEL_NAME, metadata_tensors
from spotcheck.classifier.onnx import OnnxClassifier

__all__ = ["DEFAULT_MAX_BATCH", "DEFAULT_MAX_WAIT_SECONDS", "serve_model"]

log = logging.getLogger(__name__)

# A pass waits this long for more photos after the first arrives: a lone photo is answered a few
# milliseconds later, while callers arriving together share one pass.
DEFAULT_MAX_WAIT_SECONDS = 0.005
DEFAULT_MAX_BATCH = 32


def _import_kserve() -> Any:
    """KServe parses ``sys.argv`` for its own options when first imported: it must not see ours."""
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        import kserve.model_server

        return kserve.model_server
    finally:
        sys.argv = argv


def serve_model(
    *,
    host: str,
    port: int,
    model_path: Path,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_wait: float = DEFAULT_MAX_WAIT_SECONDS,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM; raises ``ModelUnavailableError`` (no model) or ``OSError`` (port).

    ``on_listening`` is called with the port once it is bound (the one chosen when ``port`` is 0).
    """
    model_server = _import_kserve()
    from fastapi import APIRouter, Request
    from fastapi.responses import JSONResponse
    from kserve.errors import InferenceError, inference_error_handler
    from kserve.model_repository import ModelRepository
    from kserve.protocol.dataplane import DataPlane
    from kserve.protocol.model_repository_extension import ModelRepositoryExtension
    from kserve.protocol.rest.server import RESTServer

    from spotcheck.serving.model import LesionModel
    from spotcheck.serving.sagemaker import sagemaker_router

    model = LesionModel(OnnxClassifier(model_path), max_batch=max_batch, max_wait=max_wait)
    model.load()
    repository = ModelRepository()
    repository.update(model)

    # KServe's own metadata answer has no "versions"; this one, registered first, adds them.
    metadata = APIRouter()

    @metadata.get(f"/v2/models/{MODEL_NAME}")
    def model_metadata() -> dict[str, Any]:
        inputs, outputs = metadata_tensors(heatmap=model.classifier.gives_heatmaps)
        return {
            "name": MODEL_NAME,
            "versions": [model.version],
            "platform": "onnxruntime_onnx",
            "inputs": inputs,
            "outputs": outputs,
        }

    async def inference_error(request: Request, exc: Exception) -> JSONResponse:
        # KServe's binary-data extension hands BYTES on as UTF-8 text, and answers 500 for a raw photo.
        if "Failed to encode" in str(exc):
            return JSONResponse(
                {
                    "error": "with the binary-data extension, each element of 'image' must be the photo in base64 "
                    '(and "parameters": {"content_type": "base64"}), not its raw bytes'
                },
                status_code=400,
            )
        response: JSONResponse = await inference_error_handler(request, exc)
        return response

    class SpotCheckRESTServer(RESTServer):  # type: ignore[misc]
        def _add_exception_handlers(self, app: Any) -> None:
            super()._add_exception_handlers(app)
            app.add_exception_handler(InferenceError, inference_error)

    app = model_server.app
    app.include_router(metadata)
    app.include_router(sagemaker_router(model))
    rest = SpotCheckRESTServer(
        "kserve.model_server:app",
        DataPlane(model_registry=repository),
        ModelRepositoryExtension(model_registry=repository),
        port,
    )
    # KServe binds every interface; the socket bound here keeps the --host asked for.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        bound = sock.getsockname()[1]
        if on_listening is not None:
            on_listening(bound)
        log.info("model %s (%s) on http://%s:%d", MODEL_NAME, model.version, host, bound)
        rest.run(sockets=[sock])
    model.stop()
