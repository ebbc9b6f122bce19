"""POST /uploads, then the photo straight to the store: the bucket's own events get it classified.

Everything is real on loopback: SeaweedFS (its filer's metadata stream is the event source), the
events consumer, the API and its in-process worker, and plain HTTP/boto3 clients for the store.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

import s3_server
from conftest import TEST_SECRET, register_and_sign_in
from images import BLUE, RED, image_bytes
from s3_server import S3Endpoint, empty_and_delete_bucket
from spotcheck.api import create_app
from spotcheck.clock import utc_now
from spotcheck.config import Settings
from spotcheck.db.tables import jobs
from spotcheck.ingest import EventConsumer, FilerMetaTail, Ingestor, Reconciler
from spotcheck.runtime import Runtime, build_runtime

s3_endpoint = s3_server.s3_endpoint

LABEL_TIMEOUT = 30.0


@contextmanager
def scaled_app(endpoint: S3Endpoint, data_dir: Path, model: Path, *, max_upload_bytes: int) -> Iterator[Any]:
    """The API on a fresh bucket, with an events consumer on the bucket's filer stream beside it."""
    bucket = f"spotcheck-direct-{uuid.uuid4().hex[:12]}"
    settings = Settings(
        data_dir=data_dir,
        model_path=model,
        jwt_secret=SecretStr(TEST_SECRET),
        storage_backend="s3",
        s3_endpoint_url=endpoint.url,
        s3_bucket=bucket,
        s3_region=endpoint.region,
        s3_access_key_id=endpoint.access_key_id,
        s3_secret_access_key=SecretStr(endpoint.secret_access_key),
        max_upload_bytes=max_upload_bytes,
    )
    runtime = build_runtime(settings)
    ingestor = Ingestor(
        engine=runtime.engine,
        store=runtime.store,
        gallery=runtime.gallery,
        bucket=bucket,
        max_upload_bytes=max_upload_bytes,
    )
    consumer = EventConsumer(
        source=FilerMetaTail(filer=endpoint.filer, bucket=bucket),
        ingestor=ingestor,
        reconciler=Reconciler(engine=runtime.engine, store=runtime.store, bucket=bucket, handle=ingestor.handle),
        reconcile_seconds=0,
    )
    thread = threading.Thread(target=consumer.run, daemon=True)
    try:
        with TestClient(create_app(runtime)) as client:
            thread.start()
            yield client, runtime, bucket
    finally:
        consumer.stop()
        thread.join(10)
        empty_and_delete_bucket(endpoint.client(), bucket)


@pytest.fixture
def app(s3_endpoint: S3Endpoint, tmp_path: Path, tiny_model_path: Path) -> Iterator[Any]:
    with scaled_app(s3_endpoint, tmp_path / "data", tiny_model_path, max_upload_bytes=2_000_000) as parts:
        yield parts


def _until(check: Callable[[], httpx.Response], done: Callable[[httpx.Response], bool]) -> httpx.Response:
    deadline = time.monotonic() + LABEL_TIMEOUT
    while True:
        response = check()
        if done(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def _send(grant: dict[str, Any], body: bytes, name: str = "photo") -> httpx.Response:
    assert grant["method"] == "POST"
    return httpx.post(grant["uploadUrl"], data=grant["fields"], files={"file": (name, body)}, timeout=30)


def _jobs_for(runtime: Runtime, key: str) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(jobs).where(jobs.c.object_key == key)).scalar_one())


@pytest.mark.s3
def test_a_direct_upload_is_cleaned_classified_and_labelled_once(app: Any, s3_endpoint: S3Endpoint) -> None:
    client, runtime, bucket = app
    raw = s3_endpoint.client()
    auth = register_and_sign_in(client, "ada@example.org")

    asked = client.post("/uploads", json={"fileName": "mole.png"}, headers=auth)
    assert asked.status_code == 201, asked.text
    grant = asked.json()
    assert grant["fileName"] == "mole.png"
    assert grant["objectKey"].startswith("users/") and grant["objectKey"].endswith("/mole.png")
    assert grant["fields"]["key"] == grant["objectKey"]
    assert (
        utc_now() + timedelta(minutes=9)
        < datetime.fromisoformat(grant["expiresAt"])
        < utc_now() + timedelta(minutes=11)
    )

    sent = _send(grant, image_bytes(RED, fmt="PNG"), "mole.png")
    assert sent.status_code in (200, 201, 204), sent.text
    result = _until(lambda: client.get("/detect/mole.png", headers=auth), lambda r: r.status_code not in (202, 404))
    assert result.status_code == 200, result.text
    assert result.json()["classification"] == "MALIGNANT"
    key = grant["objectKey"]
    stored = raw.get_object(Bucket=bucket, Key=key)
    assert stored["ContentType"] == "image/jpeg" and stored["Body"].read().startswith(b"\xff\xd8")
    assert stored["Metadata"]["classification"] == "MALIGNANT"

    # Anything else that writes the key (here boto3, as `aws s3 cp` would) is a new upload, labelled too.
    raw.put_object(Bucket=bucket, Key=key, Body=image_bytes(BLUE), ContentType="image/jpeg")
    result = _until(
        lambda: client.get("/detect/mole.png", headers=auth),
        lambda r: r.status_code == 200 and r.json()["classification"] == "BENIGN",
    )
    assert result.json()["classification"] == "BENIGN", result.text
    labelled = raw.head_object(Bucket=bucket, Key=key)
    assert labelled["Metadata"]["classification"] == "BENIGN"

    # The events of the cleaned re-write and of the label come later than the label; a second direct
    # upload, taken in after them (the consumer keeps the stream's order), shows they were all handled.
    later = client.post("/uploads", json={"fileName": "later.jpg"}, headers=auth).json()
    assert _send(later, image_bytes(RED)).status_code in (200, 201, 204)
    assert (
        _until(lambda: client.get("/detect/later.jpg", headers=auth), lambda r: r.status_code == 200).status_code == 200
    )
    again = raw.head_object(Bucket=bucket, Key=key)
    assert again["ETag"] == labelled["ETag"]
    assert again["Metadata"] == labelled["Metadata"]  # classified-at included: the label was written once
    assert _jobs_for(runtime, key) == 2  # one classification per upload, none for SpotCheck's own writes


@pytest.mark.s3
def test_a_form_used_after_the_accounts_deletion_leaves_nothing_in_the_bucket(
    app: Any, s3_endpoint: S3Endpoint
) -> None:
    client, _runtime, bucket = app
    raw = s3_endpoint.client()
    auth = register_and_sign_in(client, "ada@example.org")
    grant = client.post("/uploads", json={"fileName": "mole.jpg"}, headers=auth).json()
    deleted = client.request("DELETE", "/account", json={"password": "correct horse battery"}, headers=auth)
    assert deleted.status_code == 204, deleted.text
    assert _send(grant, image_bytes(RED)).status_code in (200, 201, 204)  # the presigned form still works

    def listed() -> list[str]:
        return [o["Key"] for o in raw.list_objects_v2(Bucket=bucket).get("Contents", [])]

    deadline = time.monotonic() + LABEL_TIMEOUT
    while listed() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listed() == []


@pytest.mark.s3
def test_the_store_itself_refuses_a_direct_upload_over_the_limit(
    s3_endpoint: S3Endpoint, tmp_path: Path, tiny_model_path: Path
) -> None:
    with scaled_app(s3_endpoint, tmp_path / "data", tiny_model_path, max_upload_bytes=4_000) as (client, _, bucket):
        auth = register_and_sign_in(client, "ada@example.org")
        grant = client.post("/uploads", json={"fileName": "big.jpg"}, headers=auth).json()
        refused = _send(grant, image_bytes(RED, size=(512, 512)) + b"\0" * 4_000)
        assert refused.status_code == 400 and "EntityTooLarge" in refused.text
        with pytest.raises(ClientError):
            s3_endpoint.client().head_object(Bucket=bucket, Key=grant["objectKey"])
        # A form is for its own key: the store refuses it for another.
        other = {**grant, "fields": {**grant["fields"], "key": grant["objectKey"].replace("big.jpg", "other.jpg")}}
        assert _send(other, image_bytes(RED)).status_code == 403


@pytest.mark.s3
def test_post_uploads_checks_the_name_and_the_caller(app: Any) -> None:
    client, _, _ = app
    auth = register_and_sign_in(client, "ada@example.org")
    bad = client.post("/uploads", json={"fileName": "../escape.jpg"}, headers=auth)
    assert bad.status_code == 400 and "path separators" in bad.json()["detail"]
    for name, rule in (("a" * 201, "at most 200"), ("", "must not be empty")):
        refused = client.post("/uploads", json={"fileName": name}, headers=auth)
        assert refused.status_code == 400 and rule in refused.json()["detail"], refused.text
    assert client.post("/uploads", json={"fileName": "a.jpg"}).status_code == 401
    assert client.post("/uploads", json={}, headers=auth).status_code == 422


def test_post_uploads_on_the_local_backend_says_to_use_put_images(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/uploads", json={"fileName": "mole.jpg"}, headers=auth)
    assert response.status_code == 409
    assert "PUT /images/{fileName}" in response.json()["detail"]
