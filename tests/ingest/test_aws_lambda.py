"""The Lambda handler, given SQS batches of real S3 event notifications, on a real SeaweedFS bucket; and
classifying through a SageMaker endpoint (the model server behind SageMaker Runtime's API) as deployed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from pydantic import SecretStr

import s3_server
from conftest import TEST_SECRET
from images import BLUE, RED, image_bytes
from model_server import ModelServer, SageMakerRuntime
from s3_server import S3Endpoint
from spotcheck.ingest.aws_lambda import LambdaParts, handle_event
from spotcheck.runtime import build_runtime
from spotcheck.storage.keys import object_key_for

pytestmark = pytest.mark.s3

s3_endpoint = s3_server.s3_endpoint
s3_bucket = s3_server.s3_bucket


@pytest.fixture
def parts(s3_endpoint: S3Endpoint, s3_bucket: str, tmp_path: Path, tiny_model_path: Path) -> Iterator[LambdaParts]:
    settings = s3_endpoint.settings(
        s3_bucket, data_dir=tmp_path, model_path=tiny_model_path, jwt_secret=SecretStr(TEST_SECRET)
    )
    runtime = build_runtime(settings, concurrency=0)
    yield LambdaParts(runtime)
    runtime.stop()


def _s3_notification(bucket: str, key: str, size: int, etag: str) -> dict[str, Any]:
    """What S3 puts in the SQS message body (the documented event structure, version 2.1)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-26T19:00:00.000Z",
                "eventName": "ObjectCreated:Post",
                "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjsk"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "spotcheck-uploads",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKEXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": "0A1B2C3D4E5F",
                    },
                },
            }
        ]
    }


def _sqs_message(message_id: str, body: str) -> dict[str, Any]:
    """One record of the event SQS invokes Lambda with."""
    return {
        "messageId": message_id,
        "receiptHandle": "MessageReceiptHandle",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795720000000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1795720000001",
        },
        "messageAttributes": {},
        "md5OfBody": "7b270e59b47ff90a553787216d55d91d",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:spotcheck-uploads",
        "awsRegion": "us-east-1",
    }


def _put(s3_endpoint: S3Endpoint, bucket: str, key: str, body: bytes) -> dict[str, Any]:
    etag = s3_endpoint.client().put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
    return _s3_notification(bucket, key, len(body), etag)


def test_an_sqs_batch_is_taken_in_and_classified_in_one_invocation(
    parts: LambdaParts, s3_endpoint: S3Endpoint, s3_bucket: str
) -> None:
    owner = parts.runtime.accounts.register(email="ada@example.org", password="correct horse battery").id
    red, blue = object_key_for(owner, "mole 1.png"), object_key_for(owner, "mole 2.jpg")
    batch = {
        "Records": [
            _sqs_message("m-1", json.dumps(_put(s3_endpoint, s3_bucket, red, image_bytes(RED, fmt="PNG")))),
            _sqs_message("m-2", json.dumps(_put(s3_endpoint, s3_bucket, blue, image_bytes(BLUE)))),
            # S3's test message when the notification is configured, and a body that is no notification.
            _sqs_message("m-3", json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": s3_bucket})),
            _sqs_message("m-4", "not json"),
        ]
    }
    assert handle_event(batch, parts) == {"batchItemFailures": []}

    raw = s3_endpoint.client()
    assert raw.head_object(Bucket=s3_bucket, Key=red)["Metadata"]["classification"] == "MALIGNANT"
    assert raw.head_object(Bucket=s3_bucket, Key=blue)["Metadata"]["classification"] == "BENIGN"
    labelled = raw.head_object(Bucket=s3_bucket, Key=red)
    # SQS delivers at least once: the same batch again changes nothing.
    assert handle_event(batch, parts) == {"batchItemFailures": []}
    assert raw.head_object(Bucket=s3_bucket, Key=red)["Metadata"] == labelled["Metadata"]


def test_a_message_that_cannot_be_taken_in_is_reported_for_redelivery(
    parts: LambdaParts, s3_endpoint: S3Endpoint, s3_bucket: str
) -> None:
    owner = parts.runtime.accounts.register(email="ada@example.org", password="correct horse battery").id
    key = object_key_for(owner, "mole.jpg")
    body = json.dumps(_put(s3_endpoint, s3_bucket, key, image_bytes(RED)))
    parts.runtime.engine.dispose()
    # The database goes away (its file is replaced by a folder): taking the object in fails.
    database = Path(parts.runtime.settings.resolved_database_url.removeprefix("sqlite:///"))
    database.rename(database.with_suffix(".moved"))
    database.mkdir()
    try:
        result = handle_event({"Records": [_sqs_message("m-1", body)]}, parts)
    finally:
        database.rmdir()
        database.with_suffix(".moved").rename(database)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_a_notification_from_s3_directly_is_accepted(
    parts: LambdaParts, s3_endpoint: S3Endpoint, s3_bucket: str
) -> None:
    owner = parts.runtime.accounts.register(email="ada@example.org", password="correct horse battery").id
    key = object_key_for(owner, "mole.jpg")
    assert handle_event(_put(s3_endpoint, s3_bucket, key, image_bytes(RED)), parts) == {"batchItemFailures": []}
    assert s3_endpoint.client().head_object(Bucket=s3_bucket, Key=key)["Metadata"]["classification"] == "MALIGNANT"


DATASETS = (Path(__file__).resolve().parents[2] / "../shared/datasets").resolve()
MELANOMA = DATASETS / "ham10000-200x150" / "images" / "ISIC_0024310.jpg"


@pytest.mark.slow
def test_the_function_classifies_through_the_sagemaker_endpoint(
    s3_endpoint: S3Endpoint, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the SAM template deploys it: SPOTCHECK_SAGEMAKER_ENDPOINT names an endpoint running the model server."""
    if not MELANOMA.is_file():
        pytest.skip(f"the shared data set is not at {MELANOMA.parent}")
    with ModelServer(log_dir=tmp_path) as model, SageMakerRuntime(model.url, "spotcheck-lesion") as sagemaker:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", sagemaker.url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        settings = s3_endpoint.settings(
            s3_bucket, data_dir=tmp_path, sagemaker_endpoint="spotcheck-lesion", jwt_secret=SecretStr(TEST_SECRET)
        )
        runtime = build_runtime(settings, concurrency=0)
        try:
            parts = LambdaParts(runtime)
            owner = runtime.accounts.register(email="ada@example.org", password="correct horse battery").id
            key = object_key_for(owner, "mole.jpg")
            notification = _put(s3_endpoint, s3_bucket, key, MELANOMA.read_bytes())
            assert handle_event({"Records": [_sqs_message("m-1", json.dumps(notification))]}, parts) == {
                "batchItemFailures": []
            }
        finally:
            runtime.stop()
        version = httpx.get(f"{model.url}/v2/models/spotcheck-lesion").json()["versions"][0]
    metadata = s3_endpoint.client().head_object(Bucket=s3_bucket, Key=key)["Metadata"]
    assert (metadata["classification"], metadata["model-version"]) == ("MALIGNANT", version)
