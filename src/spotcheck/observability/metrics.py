"""Prometheus metrics: the counters the API and the workers keep, and the job queue as the database sees it.

Every process has its own counters (``REGISTRY``); Prometheus scrapes each process and adds them
up. The API serves them at ``GET /metrics`` together with the queue gauges (one query at scrape
time, ``queue.py``); a ``spotcheck worker`` serves its own on a port of its own
(``start_metrics_server``), without the queue gauges, which any API replica already reports.
The code being measured calls the small functions below, never the metric objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import Engine

from spotcheck.classifier.base import Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.gallery.object_metadata import StoredLabel
from spotcheck.observability.queue_depth import QueueCollector
from spotcheck.photocheck.reasons import RefusalReason

__all__ = [
    "LATENCY_BUCKETS",
    "REGISTRY",
    "WORKER_FAMILIES",
    "UploadRejection",
    "exposition",
    "job_failed",
    "job_retried",
    "label_written",
    "model_loaded",
    "start_metrics_server",
    "upload_accepted",
    "upload_rejected",
    "worker_exposition",
]

# A label usually follows its upload within a second; a queue that has built up, a retry after a
# storage fault (2, 4, 8 ... s) or a worker that died (its lease, 60 s by default) push it further.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)


class UploadRejection(StrEnum):
    """Why an upload was not stored (the ``reason`` of ``spotcheck_uploads_rejected_total``)."""

    TOO_LARGE = "too-large"
    UNSUPPORTED_TYPE = "unsupported-type"
    DAMAGED = "damaged"
    TOO_MANY_PIXELS = "too-many-pixels"
    TOO_SMALL = "too-small"
    BAD_FILE_NAME = "bad-file-name"
    NO_SUCH_SPOT = "no-such-spot"
    BAD_REQUEST = "bad-request"
    UNAUTHORIZED = "unauthorized"
    STORAGE_UNAVAILABLE = "storage-unavailable"
    CLIENT_DISCONNECTED = "client-disconnected"
    BUSY = "busy"  # too many uploads already waited for a decode slot
    OVER_QUOTA = "over-quota"  # the account already holds as many photos as it may
    ERROR = "error"


# The ``_created`` timestamp series would double the series count and tell nothing a restart does not.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

_uploads_accepted = Counter(
    "spotcheck_uploads_accepted", "Uploads stored and queued for classification.", registry=REGISTRY
)
_uploads_rejected = Counter(
    "spotcheck_uploads_rejected",
    "Uploads refused before anything was stored, by reason.",
    ["reason"],
    registry=REGISTRY,
)
_labels = Counter(
    "spotcheck_labels",
    "Images labelled BENIGN or MALIGNANT, by classification and model version.",
    ["classification", "model_version"],
    registry=REGISTRY,
)
_refusals = Counter(
    "spotcheck_refusals",
    "Photos the photo gate refused (no classification), by reason and model version.",
    ["reason", "model_version"],
    registry=REGISTRY,
)
_failures = Counter(
    "spotcheck_job_failures",
    "Jobs given up for good: the image is marked failed (damaged, or unreadable after every attempt).",
    ["model_version"],
    registry=REGISTRY,
)
_retries = Counter(
    "spotcheck_job_retries",
    "Jobs put back for a later attempt after a storage, classifier or database fault.",
    ["model_version"],
    registry=REGISTRY,
)
_latency = Histogram(
    "spotcheck_upload_to_label_seconds",
    "From an upload's row being written to its label (or refusal) being written, by outcome and model version.",
    ["outcome", "model_version"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
_model = Info("spotcheck_model", "The model this process classifies with.", registry=REGISTRY)

for _reason in UploadRejection:
    _uploads_rejected.labels(reason=_reason)

# What the workers count. A server whose workers run in a labelling process reports the child's.
WORKER_FAMILIES = frozenset(
    {
        "spotcheck_labels",
        "spotcheck_refusals",
        "spotcheck_job_failures",
        "spotcheck_job_retries",
        "spotcheck_upload_to_label_seconds",
    }
)


def model_loaded(version: str) -> None:
    """Name the model and create its series at zero, so rates exist before the first label."""
    _model.info({"model_version": version})
    for classification in Classification:
        _labels.labels(classification=classification.value, model_version=version)
    for reason in RefusalReason:
        _refusals.labels(reason=reason.value, model_version=version)
    _failures.labels(model_version=version)
    _retries.labels(model_version=version)
    for outcome in ("labelled", "refused"):
        _latency.labels(outcome=outcome, model_version=version)


def upload_accepted() -> None:
    _uploads_accepted.inc()


def upload_rejected(reason: UploadRejection) -> None:
    _uploads_rejected.labels(reason=reason).inc()


def label_written(label: StoredLabel, *, uploaded_at: str | None) -> None:
    """Count a label or refusal just written, and how long after its upload.

    ``uploaded_at`` is the upload's ``uploaded-at`` metadata (ISO 8601): the gallery writes the
    same instant into the image row's ``uploaded_at``, so the worker needs no extra query.
    """
    version, assessment = label.model_version, label.assessment
    if isinstance(assessment, Refusal):
        _refusals.labels(reason=assessment.reason.value, model_version=version).inc()
        outcome = "refused"
    else:
        _labels.labels(classification=assessment.classification.value, model_version=version).inc()
        outcome = "labelled"
    if uploaded_at is None:
        return
    try:
        seconds = (label.classified_at - datetime.fromisoformat(uploaded_at)).total_seconds()
    except (ValueError, TypeError):
        return  # a malformed or naive timestamp: count the label, skip the latency
    _latency.labels(outcome=outcome, model_version=version).observe(max(seconds, 0.0))


def job_retried(model_version: str) -> None:
    _retries.labels(model_version=model_version).inc()


def job_failed(model_version: str) -> None:
    _failures.labels(model_version=model_version).inc()


class _WorkerFamilies:
    """This process's worker counters alone."""

    def collect(self) -> Iterable[Metric]:
        return (family for family in REGISTRY.collect() if family.name in WORKER_FAMILIES)


def worker_exposition() -> bytes:
    """The text exposition of this process's worker counters (what a labelling process hands its server)."""
    return generate_latest(_WorkerFamilies())


class _Combined:
    """This process's counters (the worker's from ``worker_text`` when it gives them), then the queue gauges."""

    def __init__(self, queue: QueueCollector | None, worker_text: Callable[[], str | None] | None) -> None:
        self._queue = queue
        self._worker_text = worker_text

    def collect(self) -> Iterable[Metric]:
        text = self._worker_text() if self._worker_text is not None else None
        for family in REGISTRY.collect():
            if text is None or family.name not in WORKER_FAMILIES:
                yield family
        if text is not None:
            yield from (f for f in text_string_to_metric_families(text) if f.name in WORKER_FAMILIES)
        if self._queue is not None:
            yield from self._queue.collect()


def exposition(
    engine: Engine | None = None,
    *,
    procrastinate: bool = False,
    worker_text: Callable[[], str | None] | None = None,
) -> bytes:
    """The text exposition format of this process's metrics, plus the queue's when given its database
    (and Procrastinate's jobs when ``procrastinate`` runs them). ``worker_text`` gives the worker
    counters of a labelling process, to report instead of this process's (None: not written yet)."""
    queue = QueueCollector(engine, procrastinate=procrastinate) if engine is not None else None
    return generate_latest(_Combined(queue, worker_text))


def start_metrics_server(host: str, port: int) -> WSGIServer:
    """Serve this process's metrics at ``http://host:port/metrics`` from a daemon thread; port 0 picks one."""
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return server
