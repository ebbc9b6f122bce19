"""GET /metrics: uploads, labels, refusals, failures, the queue and upload-to-label latency, by model version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from conftest import register_and_sign_in, wait_for_label
from images import GREEN, RED, image_bytes
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.labelling import Outcome
from spotcheck.observability.metrics import LATENCY_BUCKETS
from spotcheck.runtime import Runtime, build_runtime
from tiny_model import TINY_MODEL_VERSION

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
MODEL = {"model_version": TINY_MODEL_VERSION}


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_an_upload_and_its_label_are_counted_with_the_model_version(client: TestClient, auth: dict[str, str]) -> None:
    before = scrape(client)
    assert client.put("/images/mole.jpg", content=image_bytes(RED), headers=auth).status_code == 202
    assert wait_for_label(lambda: client.get("/detect/mole.jpg", headers=auth)).status_code == 200
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("spotcheck_uploads_accepted_total") == 1
    assert grew("spotcheck_labels_total", classification="MALIGNANT", **MODEL) == 1
    assert grew("spotcheck_labels_total", classification="BENIGN", **MODEL) == 0
    assert ("spotcheck_labels_total", frozenset({"classification": "BENIGN", **MODEL}.items())) in after
    latency = {"outcome": "labelled", **MODEL}
    assert grew("spotcheck_upload_to_label_seconds_count", **latency) == 1
    assert grew("spotcheck_upload_to_label_seconds_bucket", le="+Inf", **latency) == 1
    assert grew("spotcheck_upload_to_label_seconds_sum", **latency) > 0
    buckets = [
        le
        for (name, labels) in after
        if name == "spotcheck_upload_to_label_seconds_bucket"
        for k, le in labels
        if k == "le"
    ]
    assert sorted({float(le) for le in buckets if le != "+Inf"}) == list(LATENCY_BUCKETS)
    assert value(after, "spotcheck_model_info", **MODEL) == 1
    assert value(after, "spotcheck_queue_up") == 1
    assert value(after, "spotcheck_queue_jobs", state="pending") == 0


REASONS = ("unsupported-type", "damaged", "bad-file-name", "no-such-spot", "unauthorized", "bad-request")
REASONS += ("too-large", "error")


def test_rejected_uploads_are_counted_by_reason(client: TestClient, auth: dict[str, str]) -> None:
    before = scrape(client)
    assert client.put("/images/a.jpg", content=b"not an image at all", headers=auth).status_code == 415
    assert client.put("/images/a.jpg", content=image_bytes(RED)[:200], headers=auth).status_code == 422
    assert client.put("/images/a%2F..%2Fb.jpg", content=image_bytes(RED), headers=auth).status_code == 400
    assert client.put("/images/a.jpg", content=image_bytes(RED)).status_code == 401
    assert client.put("/images/a.jpg?spotId=nope", content=image_bytes(RED), headers=auth).status_code == 404
    assert (
        client.post("/images", data={"fileName": "x.jpg"}, files={"other": ("x", b"x")}, headers=auth).status_code
        == 400
    )
    after = scrape(client)
    grown = {
        reason: value(after, "spotcheck_uploads_rejected_total", reason=reason)
        - value(before, "spotcheck_uploads_rejected_total", reason=reason)
        for reason in REASONS
    }
    assert grown == {
        "unsupported-type": 1,
        "damaged": 1,
        "bad-file-name": 1,
        "no-such-spot": 1,
        "unauthorized": 1,
        "bad-request": 1,
        "too-large": 0,
        "error": 0,
    }
    assert value(after, "spotcheck_uploads_accepted_total") == value(before, "spotcheck_uploads_accepted_total")


def test_an_upload_over_the_limit_is_counted_too_large(settings: Settings) -> None:
    runtime = build_runtime(settings.updated(max_upload_bytes=1000))
    with TestClient(create_app(runtime)) as client:
        auth = register_and_sign_in(client, "ada@example.org")
        before = scrape(client)
        assert client.put("/images/big.jpg", content=image_bytes(RED) * 10, headers=auth).status_code == 413
        after = scrape(client)
    reason = {"reason": "too-large"}
    assert (
        value(after, "spotcheck_uploads_rejected_total", **reason)
        - value(before, "spotcheck_uploads_rejected_total", **reason)
        == 1
    )


def test_refusals_are_counted_by_reason_and_model_version(settings: Settings, gated_model_path: Path) -> None:
    runtime = build_runtime(settings.updated(model_path=gated_model_path))
    with TestClient(create_app(runtime)) as client:
        auth = register_and_sign_in(client, "ada@example.org")
        before = scrape(client)
        assert client.put("/images/sofa.jpg", content=image_bytes(GREEN), headers=auth).status_code == 202
        result = wait_for_label(lambda: client.get("/detect/sofa.jpg", headers=auth))
        assert result.json()["status"] == "refused"
        after = scrape(client)
    version = {"model_version": runtime.classifier.version}
    refused = {"reason": "not-a-lesion", **version}
    assert (
        value(after, "spotcheck_refusals_total", **refused) - value(before, "spotcheck_refusals_total", **refused) == 1
    )
    latency = {"outcome": "refused", **version}
    assert (
        value(after, "spotcheck_upload_to_label_seconds_count", **latency)
        - value(before, "spotcheck_upload_to_label_seconds_count", **latency)
        == 1
    )


@pytest.fixture
def queued(settings: Settings) -> Iterator[tuple[Runtime, TestClient]]:
    """The API without in-process workers: uploads wait in the queue until the test handles them."""
    runtime = build_runtime(settings, concurrency=0)
    with TestClient(create_app(runtime, sole_worker=False)) as client:
        yield runtime, client


def test_the_queue_depth_and_a_failure_are_reported(queued: tuple[Runtime, TestClient]) -> None:
    runtime, client = queued
    auth = register_and_sign_in(client, "ada@example.org")
    for name in ("one.jpg", "two.jpg"):
        assert client.put(f"/images/{name}", content=image_bytes(RED), headers=auth).status_code == 202
    waiting = scrape(client)
    assert value(waiting, "spotcheck_queue_jobs", state="pending") == 2
    assert value(waiting, "spotcheck_queue_jobs", state="running") == 0
    assert value(waiting, "spotcheck_queue_oldest_pending_age_seconds") > 0

    # The stored image is damaged behind SpotCheck's back: its job fails for good.
    job = runtime.queue.claim(timeout=0)
    assert job is not None
    stored = runtime.store.get(job.event.object_key)
    runtime.store.put(job.event.object_key, b"garbage", content_type="image/jpeg", metadata=stored.info.metadata)
    running = scrape(client)
    assert value(running, "spotcheck_queue_jobs", state="pending") == 1
    assert value(running, "spotcheck_queue_jobs", state="running") == 1
    assert runtime.worker.handle(job) == Outcome.FAILED
    failed = scrape(client)
    assert (
        value(failed, "spotcheck_job_failures_total", **MODEL) - value(running, "spotcheck_job_failures_total", **MODEL)
        == 1
    )
    assert value(failed, "spotcheck_queue_jobs", state="running") == 0


def test_metrics_can_be_switched_off(settings: Settings) -> None:
    runtime = build_runtime(settings.updated(metrics=False))
    with TestClient(create_app(runtime)) as client:
        assert client.get("/metrics").status_code == 404


def test_metrics_are_not_in_the_api_description(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_an_upload_over_the_photo_quota_is_counted_over_quota_not_as_a_fault(settings: Settings) -> None:
    runtime = build_runtime(settings.updated(max_photos_per_account=1))
    with TestClient(create_app(runtime)) as client:
        auth = register_and_sign_in(client, "ada@example.org")
        assert client.put("/images/one.jpg", content=image_bytes(RED), headers=auth).status_code == 202
        before = scrape(client)
        assert client.put("/images/two.jpg", content=image_bytes(RED), headers=auth).status_code == 409
        after = scrape(client)
    grown = {
        reason: value(after, "spotcheck_uploads_rejected_total", reason=reason)
        - value(before, "spotcheck_uploads_rejected_total", reason=reason)
        for reason in ("over-quota", "error")
    }
    assert grown == {"over-quota": 1, "error": 0}
