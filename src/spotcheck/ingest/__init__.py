"""Bucket events drive classification: objects that reach the bucket directly become uploads."""

from spotcheck.ingest.consumer import EventConsumer
from spotcheck.ingest.events import (
    BucketObjectCreated,
    InvalidEventError,
    S3EventNotification,
    notification_json,
    object_created_events,
)
from spotcheck.ingest.reconcile import Reconciler
from spotcheck.ingest.seaweedfs import FilerMetaTail, filer_change_to_notification
from spotcheck.ingest.service import DEFAULT_GRACE, Ingestor, IngestOutcome
from spotcheck.ingest.sources import EventSource, JsonLinesSource
from spotcheck.ingest.upload_targets import UploadTarget, upload_target

__all__ = [
    "DEFAULT_GRACE",
    "BucketObjectCreated",
    "EventConsumer",
    "EventSource",
    "FilerMetaTail",
    "IngestOutcome",
    "Ingestor",
    "InvalidEventError",
    "JsonLinesSource",
    "Reconciler",
    "S3EventNotification",
    "UploadTarget",
    "filer_change_to_notification",
    "notification_json",
    "object_created_events",
    "upload_target",
]
