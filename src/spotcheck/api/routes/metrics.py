"""Prometheus metrics, for the operator's scraper only (see README, "Operating")."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from spotcheck.api.deps import MetricsText

router = APIRouter(tags=["operations"], include_in_schema=False)


@router.get("/metrics")
def metrics(text: MetricsText) -> Response:
    """This process's counters and the job queue's depth, in Prometheus' text format."""
    return Response(text(), media_type=CONTENT_TYPE_LATEST)
