"""S3 event notifications, the format AWS sends to SQS, SNS and Lambda: SpotCheck's common currency.

Every source of bucket events (SeaweedFS's filer, an SQS queue, a Lambda invocation) is turned
into this JSON before anything acts on it, so the ingest core has one input format. Only the
fields the core reads are modelled; everything else in a record is accepted and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "BucketObjectCreated",
    "InvalidEventError",
    "S3EventNotification",
    "notification_json",
    "object_created_events",
]


class InvalidEventError(ValueError):
    """The document is not an S3 event notification; the message says what is wrong."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class _Bucket(_Model):
    name: str


class _Object(_Model):
    key: str  # URL-encoded, spaces as '+', exactly as AWS sends it
    size: int = 0
    e_tag: str = Field(default="", alias="eTag")
    sequencer: str = ""


class _Entity(_Model):
    bucket: _Bucket
    object: _Object


class _Record(_Model):
    event_name: str = Field(alias="eventName")
    event_time: datetime | None = Field(default=None, alias="eventTime")
    s3: _Entity


class S3EventNotification(_Model):
    """``{"Records": [...]}``; AWS's ``s3:TestEvent`` message has no records and parses as none."""

    records: list[_Record] = Field(default_factory=list, alias="Records")


@dataclass(frozen=True, slots=True)
class BucketObjectCreated:
    """One ``ObjectCreated:*`` record, its key decoded."""

    bucket: str
    key: str
    size: int = 0
    etag: str = ""
    sequencer: str = ""


def _unwrap(document: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise InvalidEventError(f"not JSON: {error}") from None
    if not isinstance(document, Mapping):
        raise InvalidEventError(f"expected a JSON object, got {type(document).__name__}")
    # SNS wraps the notification as a JSON string in "Message" (and SQS-after-SNS keeps that envelope).
    message = document.get("Message")
    if document.get("Type") == "Notification" and isinstance(message, str):
        return _unwrap(message)
    return document


def object_created_events(document: str | bytes | Mapping[str, Any]) -> list[BucketObjectCreated]:
    """The ``ObjectCreated:*`` records of a notification (raw, or in an SNS envelope); others are dropped."""
    try:
        notification = S3EventNotification.model_validate(_unwrap(document))
    except ValidationError as error:
        raise InvalidEventError(f"not an S3 event notification: {error.errors()[0]['msg']}") from None
    return [
        BucketObjectCreated(
            bucket=record.s3.bucket.name,
            key=unquote_plus(record.s3.object.key),
            size=record.s3.object.size,
            etag=record.s3.object.e_tag.strip('"'),
            sequencer=record.s3.object.sequencer,
        )
        for record in notification.records
        if record.event_name.removeprefix("s3:").startswith("ObjectCreated:")
    ]


def notification_json(
    *, bucket: str, key: str, size: int, etag: str, sequencer: str, event_time: datetime, event_name: str = "Put"
) -> dict[str, Any]:
    """One-record S3 event notification as AWS writes it (version 2.1), for sources that are not AWS."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": event_time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "eventName": f"ObjectCreated:{event_name}",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": sequencer},
                },
            }
        ]
    }
