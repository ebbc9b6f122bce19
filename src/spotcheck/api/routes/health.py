"""Liveness and readiness probes."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from spotcheck.api.deps import RuntimeDep
from spotcheck.storage import StorageError

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready when the model is loaded, storage accepts a write and the workers run."""
    checks: dict[str, str] = {"model": runtime.classifier.version}
    probe = f"_readyz/{uuid.uuid4().hex}"
    try:
        runtime.store.put(probe, b"ok", content_type="text/plain", metadata={})
        runtime.store.delete(probe)
        checks["storage"] = "ok"
    except StorageError as exc:
        checks["storage"] = f"error: {exc}"
    if runtime.settings.worker_concurrency == 0:
        checks["worker"] = "external"
    else:
        checks["worker"] = "ok" if runtime.pool.running else "stopped"
    ready = checks["storage"] == "ok" and checks["worker"] in ("ok", "external")
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
