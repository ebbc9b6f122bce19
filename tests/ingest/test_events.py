"""S3 event notification JSON in, BucketObjectCreated records out; SeaweedFS filer changes translated to it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from spotcheck.ingest import BucketObjectCreated, InvalidEventError, filer_change_to_notification, object_created_events

# As AWS sends it to SQS and Lambda (the documented example, version 2.1), key URL-encoded.
AWS_PUT = {
    "Records": [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-west-2",
            "eventTime": "1970-01-01T00:00:00.000Z",
            "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AIDAJDPLRKLG7UEXAMPLE"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "testConfigRule",
                "bucket": {
                    "name": "photos",
                    "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                    "arn": "arn:aws:s3:::photos",
                },
                "object": {
                    "key": "users/u1/my+mole%C3%A9%25.jpg",
                    "size": 1024,
                    "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                    "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
                    "sequencer": "0055AED6DCD90281E5",
                },
            },
        }
    ]
}


def test_an_aws_put_record_decodes_its_key() -> None:
    assert object_created_events(AWS_PUT) == [
        BucketObjectCreated(
            bucket="photos",
            key="users/u1/my moleé%.jpg",
            size=1024,
            etag="d41d8cd98f00b204e9800998ecf8427e",
            sequencer="0055AED6DCD90281E5",
        )
    ]


def test_the_same_notification_as_text_and_inside_an_sns_envelope() -> None:
    envelope = {"Type": "Notification", "MessageId": "1", "Message": json.dumps(AWS_PUT)}
    assert object_created_events(json.dumps(AWS_PUT)) == object_created_events(AWS_PUT)
    assert object_created_events(json.dumps(envelope)) == object_created_events(AWS_PUT)


def test_only_object_created_records_count() -> None:
    record = AWS_PUT["Records"][0]
    removed = {**record, "eventName": "ObjectRemoved:Delete"}
    copied = {**record, "eventName": "ObjectCreated:CompleteMultipartUpload"}
    events = object_created_events({"Records": [removed, copied]})
    assert [e.key for e in events] == ["users/u1/my moleé%.jpg"]
    # AWS's test message when notifications are configured: no records.
    assert object_created_events({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "photos"}) == []


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ({"Records": [{"eventName": "ObjectCreated:Put"}]}, "not an S3 event notification"),
        ({"Records": "users/u1/a.jpg"}, "not an S3 event notification"),
    ],
)
def test_a_document_that_is_no_notification_is_refused_with_a_reason(document: Any, says: str) -> None:
    with pytest.raises(InvalidEventError, match=says):
        object_created_events(document)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _filer_change(directory: str, name: str, *, old: bool = False, is_directory: bool = False) -> dict[str, Any]:
    """A change as `weed filer.meta.tail` 4.48 prints it (fields trimmed to those that vary)."""
    entry = {
        "name": name,
        "isDirectory": is_directory,
        "attributes": {"fileSize": "1000", "md5": "OYUz1IER6fZksfZMsQxLYw=="},
        "extended": {"Seaweed-X-Amz-ETag": _b64("398533d48111e9f664b1f64cb10c4b63"), "X-Amz-Meta-Foo": _b64("bar")},
    }
    return {
        "directory": directory,
        "eventNotification": {"oldEntry": entry if old else None, "newEntry": entry, "newParentPath": directory},
        "tsNs": "1795721905211925448",
    }


def test_a_filer_change_becomes_an_s3_put_record() -> None:
    notification = filer_change_to_notification(_filer_change("/buckets/photos/users/u1", "a b%.jpg"), bucket="photos")
    assert notification is not None
    assert notification["Records"][0]["s3"]["object"]["key"] == "users/u1/a+b%25.jpg"
    assert object_created_events(notification) == [
        BucketObjectCreated("photos", "users/u1/a b%.jpg", 1000, "398533d48111e9f664b1f64cb10c4b63", "18EBAF8F038B63C8")
    ]


@pytest.mark.parametrize(
    "change",
    [
        _filer_change("/buckets/photos/users", "u1", is_directory=True),
        _filer_change("/buckets/other/users/u1", "a.jpg"),
        _filer_change("/buckets/photos/.uploads/abc", "0001.part"),
        {"directory": "/buckets/photos/users/u1", "eventNotification": {"oldEntry": {"name": "a.jpg"}}},
    ],
    ids=["folder", "other-bucket", "multipart-part", "delete"],
)
def test_filer_changes_that_create_no_object_are_dropped(change: dict[str, Any]) -> None:
    assert filer_change_to_notification(change, bucket="photos") is None
