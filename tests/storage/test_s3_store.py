"""``S3ObjectStore`` against a real SeaweedFS: what other S3 clients see, and how failures surface."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from live_server import free_port
from s3_server import S3Endpoint, empty_and_delete_bucket
from spotcheck.storage import ObjectInfo, PreconditionFailedError, S3ObjectStore, StorageError

pytestmark = pytest.mark.s3

KEY = "users/u-1/mole.jpg"
BODY = b"\xff\xd8\xff a jpeg, as far as S3 cares"
LABEL = {
    "upload-id": "9d4c1a52-0000-4000-8000-000000000001",
    "classification": "MALIGNANT",
    "malignant-probability": "0.912345",
    "model-version": "tiny-1",
    "classified-at": "2026-01-02T03:04:05+00:00",
}


@pytest.fixture
def raw(s3_endpoint: S3Endpoint) -> Any:
    """A boto3 client that looks at the bucket behind the store's back."""
    return s3_endpoint.client()


@pytest.fixture
def unmade_bucket(s3_endpoint: S3Endpoint, raw: Any) -> Iterator[str]:
    """A bucket name nobody has created yet; removed afterwards if a test made it."""
    bucket = f"spotcheck-new-{uuid.uuid4().hex[:16]}"
    yield bucket
    try:
        empty_and_delete_bucket(raw, bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucket":
            raise


def test_the_label_is_plain_x_amz_meta_headers(s3_store: S3ObjectStore, s3_bucket: str, raw: Any) -> None:
    """The original design's contract: any S3 client reads the label from the object's own metadata."""
    put = s3_store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": LABEL["upload-id"]})
    s3_store.set_metadata(KEY, LABEL, if_match=put.etag)

    head = raw.head_object(Bucket=s3_bucket, Key=KEY)
    assert head["Metadata"] == LABEL
    headers = head["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-meta-classification"] == "MALIGNANT"
    assert headers["x-amz-meta-malignant-probability"] == "0.912345"
    assert head["ContentType"] == "image/jpeg"
    assert head["ETag"] == f'"{put.etag}"'
    assert raw.get_object(Bucket=s3_bucket, Key=KEY)["Body"].read() == BODY


def test_metadata_written_by_another_client_is_read_lower_case(
    s3_store: S3ObjectStore, s3_bucket: str, raw: Any
) -> None:
    raw.put_object(Bucket=s3_bucket, Key=KEY, Body=BODY, ContentType="image/jpeg", Metadata={"Upload-ID": "u1"})
    assert dict(s3_store.head(KEY).metadata) == {"upload-id": "u1"}


def test_the_server_enforces_if_match_when_the_object_changes_after_the_head(
    s3_store: S3ObjectStore, s3_bucket: str, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's own ETag check passes; the copy's CopySourceIfMatch must still catch the race."""
    old = s3_store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1"})
    raw.put_object(Bucket=s3_bucket, Key=KEY, Body=b"newer", ContentType="image/jpeg", Metadata={"upload-id": "u2"})

    def stale_head(key: str) -> ObjectInfo:
        return old  # as if the HEAD ran just before the other writer's PUT

    monkeypatch.setattr(s3_store, "head", stale_head)
    with pytest.raises(PreconditionFailedError):
        s3_store.set_metadata(KEY, LABEL, if_match=old.etag)

    head = raw.head_object(Bucket=s3_bucket, Key=KEY)
    assert head["Metadata"] == {"upload-id": "u2"}
    assert raw.get_object(Bucket=s3_bucket, Key=KEY)["Body"].read() == b"newer"


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_create_bucket_makes_a_missing_bucket_in_the_configured_region(
    s3_endpoint: S3Endpoint, unmade_bucket: str, raw: Any, region: str
) -> None:
    """Outside us-east-1 AWS refuses a CreateBucket that names no region (SeaweedFS would not mind)."""
    store = S3ObjectStore(
        bucket=unmade_bucket,
        endpoint_url=s3_endpoint.url,
        region=region,
        access_key_id=s3_endpoint.access_key_id,
        secret_access_key=s3_endpoint.secret_access_key,
    )
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    # Look at the request itself: SeaweedFS neither needs nor records a bucket's region.
    store._client.meta.events.register("before-parameter-build.s3.CreateBucket", record)
    store._ensure_bucket()

    expected: dict[str, Any] = {"Bucket": unmade_bucket}
    if region != "us-east-1":
        expected["CreateBucketConfiguration"] = {"LocationConstraint": region}
    assert sent == [expected]
    assert unmade_bucket in {b["Name"] for b in raw.list_buckets()["Buckets"]}
    store.put(KEY, BODY, content_type="image/jpeg", metadata={})
    again = s3_endpoint.open_store(unmade_bucket, create_bucket=True)  # the bucket exists: nothing to do
    assert again.get(KEY).body == BODY


def test_a_missing_bucket_is_a_storage_error_not_a_missing_object(s3_endpoint: S3Endpoint, unmade_bucket: str) -> None:
    store = s3_endpoint.open_store(unmade_bucket)
    with pytest.raises(StorageError, match="NoSuchBucket") as caught:
        store.get(KEY)
    assert type(caught.value) is StorageError
    with pytest.raises(StorageError, match="NoSuchBucket"):
        store.put(KEY, BODY, content_type="image/jpeg", metadata={})


def test_wrong_credentials_are_refused(s3_endpoint: S3Endpoint, s3_bucket: str) -> None:
    store = S3ObjectStore(
        bucket=s3_bucket,
        endpoint_url=s3_endpoint.url,
        region=s3_endpoint.region,
        access_key_id=s3_endpoint.access_key_id,
        secret_access_key="not-the-secret",
    )
    with pytest.raises(StorageError, match="SignatureDoesNotMatch") as caught:
        store.put(KEY, BODY, content_type="image/jpeg", metadata={})
    assert type(caught.value) is StorageError
    with pytest.raises(StorageError, match="cannot reach bucket"):
        S3ObjectStore(
            bucket=s3_bucket,
            endpoint_url=s3_endpoint.url,
            access_key_id="nobody",
            secret_access_key="not-the-secret",
            create_bucket=True,
        )


def test_an_unreachable_endpoint_is_a_storage_error() -> None:
    unused_tcp_port_url = f"http://127.0.0.1:{free_port()}"
    store = S3ObjectStore(
        bucket="spotcheck", endpoint_url=unused_tcp_port_url, access_key_id="a", secret_access_key="b"
    )
    with pytest.raises(StorageError, match="Could not connect"):
        store.head(KEY)
    with pytest.raises(StorageError, match="cannot reach the S3 endpoint"):
        S3ObjectStore(
            bucket="spotcheck",
            endpoint_url=unused_tcp_port_url,
            access_key_id="a",
            secret_access_key="b",
            create_bucket=True,
        )


def test_stores_that_share_an_outage_file_fail_fast_together(tmp_path: Path) -> None:
    """A server and its labelling process: once one finds the store unreachable, the other does not wait it out."""
    unused_tcp_port_url = f"http://127.0.0.1:{free_port()}"

    def store(outage_file: Path) -> S3ObjectStore:
        return S3ObjectStore(
            bucket="spotcheck",
            endpoint_url=unused_tcp_port_url,
            access_key_id="a",
            secret_access_key="b",
            outage_file=outage_file,
        )

    labeller, server, elsewhere = store(tmp_path / "shared"), store(tmp_path / "shared"), store(tmp_path / "own")
    with pytest.raises(StorageError, match="Could not connect"):
        labeller.head(KEY)
    with pytest.raises(StorageError, match="unreachable moments ago"):
        server.head(KEY)
    with pytest.raises(StorageError, match="unreachable moments ago"):
        server.check()
    with pytest.raises(StorageError, match="Could not connect"):
        elsewhere.head(KEY)
