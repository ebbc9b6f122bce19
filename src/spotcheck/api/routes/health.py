"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from spotcheck.api.deps import ClassifierDep, ReadinessDep, WorkerState
from spotcheck.api.errors import OUTAGE_RETRY_AFTER_SECONDS

router = APIRouter(tags=["health"])


# HEAD as well: load balancers and uptime monitors often probe with it (the answer has no body).
@router.head("/healthz")
@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.head("/readyz")
@router.get("/readyz")
def readyz(classifier: ClassifierDep, readiness: ReadinessDep, worker: WorkerState) -> JSONResponse:
    """Ready when the model is loaded, the database, the store and the model server (when one is set)
    answer (read-only checks, within a second) and the workers run: a labelling process that is still
    loading its model is ``"starting"``, not ready."""
    checks: dict[str, str] = {"model": classifier.version, **readiness.run(), "worker": worker}
    ready = (
        checks["database"] == "ok"
        and checks["storage"] == "ok"
        and checks.get("model server", "ok") == "ok"
        and checks["worker"] in ("ok", "external")
    )
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)},  # as every other 503
    )
