"""The events consumer meets an outage: one log line each time, no traceback, and it carries on."""

from __future__ import annotations

import io
import json
import logging
from typing import Any, cast

import pytest

from spotcheck.ingest import EventConsumer, Ingestor, JsonLinesSource, Reconciler
from spotcheck.storage import StorageUnavailableError

PUT = {
    "Records": [
        {
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "spotcheck"}, "object": {"key": "users/u1/images/a.jpg", "size": 9}},
        }
    ]
}


class _Unreachable:
    """An ingestor and a reconciler whose store does not answer."""

    def __init__(self) -> None:
        self.calls = 0

    def handle(self, _event: Any) -> None:
        self.calls += 1
        raise StorageUnavailableError("S3 put of 'users/u1/images/a.jpg' failed: Read timeout\nand more lines")

    def run_once(self, *, deep: bool) -> None:
        self.calls += 1
        raise StorageUnavailableError("S3 list of 'users/' failed: Read timeout\nand more lines")


def test_an_outage_is_one_warning_line_and_the_stream_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = _Unreachable()
    source = JsonLinesSource(io.StringIO(json.dumps(PUT) + "\n" + json.dumps(PUT) + "\n"))
    consumer = EventConsumer(
        source=source,
        ingestor=cast(Ingestor, unreachable),
        reconciler=cast(Reconciler, unreachable),
        reconcile_seconds=0,
    )
    with caplog.at_level(logging.WARNING, logger="spotcheck.ingest.consumer"):
        consumer.run()
        consumer._reconciling.join(5)
    assert unreachable.calls == 3  # both events, and the reconciliation at start
    records = [r for r in caplog.records if r.name == "spotcheck.ingest.consumer"]
    assert len(records) == 3
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in records)
    messages = sorted(r.getMessage() for r in records)
    assert (
        messages[0].startswith("could not take in users/u1/images/a.jpg (S3 put of") and "more lines" not in messages[0]
    )
    assert messages[2] == "reconciliation failed (S3 list of 'users/' failed: Read timeout); trying again later"
