"""AWS Lambda entry point: the bucket's ObjectCreated notifications, through SQS, into the same core.

The SAM template (``deploy/aws/template.yaml``) sends the bucket's notifications to an SQS queue
that invokes ``handler`` with batches of messages. Each message body is an S3 event
notification; ``Ingestor`` takes the objects in exactly as ``spotcheck events`` does, and the
jobs that creates are then classified in the same invocation by the ``ClassificationWorker`` that
``spotcheck worker`` runs. A message whose object could not be taken in is reported back
(``batchItemFailures``), so SQS delivers it again and, after its retries, to the dead-letter
queue. An S3 notification invoking the function directly (no SQS) is accepted too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from spotcheck.ingest.events import InvalidEventError, object_created_events
from spotcheck.jobs.base import Job
from spotcheck.labelling.worker import BATCH_SIZE
from spotcheck.runtime import Runtime, build_runtime

__all__ = ["LambdaParts", "handle_event", "handler"]

log = logging.getLogger(__name__)

# Jobs one invocation classifies at most after taking its batch in: bounded so an invocation ends
# well inside its timeout even when a backlog built up (the next invocations take the rest).
MAX_JOBS_PER_INVOCATION = 64


class LambdaParts:
    """What a warm Lambda container keeps between invocations: the runtime (model loaded) and its ingestor."""

    def __init__(self, runtime: Runtime) -> None:
        if runtime.bucket_events is None:
            raise ValueError("the Lambda handler takes in bucket events: set SPOTCHECK_STORAGE_BACKEND=s3")
        self.runtime = runtime
        self.ingestor = runtime.bucket_events.ingestor

    def classify_waiting(self, limit: int = MAX_JOBS_PER_INVOCATION) -> int:
        """Classify up to ``limit`` queued jobs, a batch at a time; how many were handled."""
        handled = 0
        while handled < limit:
            batch: list[Job] = []
            while len(batch) < min(BATCH_SIZE, limit - handled) and (job := self.runtime.queue.claim(timeout=0)):
                batch.append(job)
            if not batch:
                break
            self.runtime.worker.handle_batch(batch)
            handled += len(batch)
        return handled


def _documents(event: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any] | str]]:
    """(message id, S3 notification) pairs: one per SQS message, or the event itself from S3 directly."""
    records = event.get("Records")
    if not isinstance(records, list):
        return []
    if records and all(isinstance(r, Mapping) and r.get("eventSource") == "aws:sqs" for r in records):
        return [(str(r.get("messageId", "")), str(r.get("body", ""))) for r in records]
    return [("", event)]


def handle_event(event: Mapping[str, Any], parts: LambdaParts) -> dict[str, Any]:
    failures: list[dict[str, str]] = []
    for message_id, document in _documents(event):
        try:
            created = object_created_events(document)
        except InvalidEventError as error:
            log.warning("dropped message %s: %s", message_id, error)  # no retry can make it valid
            continue
        try:
            for item in created:
                log.info("%s: %s", item.key, parts.ingestor.handle(item))
        except Exception:
            log.exception("message %s could not be taken in; SQS will deliver it again", message_id)
            if message_id:
                failures.append({"itemIdentifier": message_id})
            else:
                raise  # invoked by S3 directly: fail the invocation so Lambda retries it
    try:
        parts.classify_waiting()
    except Exception:
        # The jobs are durable: a later invocation (or a `spotcheck worker`) classifies them.
        log.exception("classifying the waiting jobs failed")
    return {"batchItemFailures": failures}


_parts: LambdaParts | None = None


def handler(event: Mapping[str, Any], _context: object) -> dict[str, Any]:
    """The Lambda function's handler (``spotcheck.ingest.aws_lambda.handler``); settings from ``SPOTCHECK_*``."""
    global _parts
    if _parts is None:
        logging.basicConfig(level=logging.INFO)
        _parts = LambdaParts(build_runtime(concurrency=0))
    return handle_event(event, _parts)
