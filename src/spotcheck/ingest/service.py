"""Turn an object that landed in the bucket by itself into a SpotCheck upload.

An object created by a presigned upload, ``aws s3 cp`` or anything else holds raw bytes from a
client. It goes through exactly the hygiene of an API upload (``Gallery.upload``: sniffing,
decode limits, orientation, metadata stripping, re-encode), whose cleaned JPEG replaces it at
the same key, together with the image row and its classification job.

SpotCheck's own writes land in the bucket too and raise events of their own: the cleaned
re-write and the worker's label (a copy of the object onto itself with new metadata). Both carry
the ``upload-id`` metadata key, which a client's raw object never has; an object whose upload id
is the one its row records is already SpotCheck's and is left alone, so neither write starts
another classification.

An object under the prefix of an account that no longer exists (a presigned form used after the
account's deletion, or a write the deletion raced) is deleted when its event comes; the
reconciliation pass, which lists the whole prefix, is the sweep that finds any whose event was lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, select

from spotcheck.clock import as_utc, utc_now
from spotcheck.db.tables import users
from spotcheck.gallery.object_metadata import UPLOAD_ID, UPLOADED_AT
from spotcheck.gallery.rows import find_image
from spotcheck.gallery.service import Gallery, PhotoQuotaError
from spotcheck.images import ImageRejectedError
from spotcheck.ingest.events import BucketObjectCreated
from spotcheck.ingest.upload_targets import UploadTarget, upload_target
from spotcheck.storage.base import ObjectInfo, ObjectNotFoundError, ObjectStore
from spotcheck.storage.keys import owner_of

__all__ = ["DEFAULT_GRACE", "IngestOutcome", "Ingestor"]

log = logging.getLogger(__name__)

# How long an object SpotCheck wrote may wait for its row: the API writes the object just before its
# transaction commits, so the object's own event can arrive first. Older than this, the upload was
# cut short (a crash between the two, or a write the store finished after the API had given up and
# answered 503): the object is removed, or taken in if it was written over a recorded image.
DEFAULT_GRACE = timedelta(seconds=60)


class IngestOutcome(StrEnum):
    RECORDED = "recorded"  # cleaned, stored, row and job written
    REJECTED = "rejected"  # failed the upload hygiene: the row says why, the raw object is removed
    ALREADY_RECORDED = "already-recorded"  # SpotCheck's own write (the cleaned copy or the label)
    IN_FLIGHT = "in-flight"  # SpotCheck's write whose row is not committed yet
    ABANDONED = "abandoned"  # SpotCheck's write for an API upload that never completed: removed
    GONE = "gone"  # removed again before it was read
    ORPHANED = "orphaned"  # under the prefix of an account that no longer exists: removed
    IGNORED = "ignored"  # another bucket, a key outside users/{id}/, an invalid fileName


@dataclass(frozen=True, slots=True, kw_only=True)
class Ingestor:
    """Every decision re-reads the object and the row.

    Within one process objects are taken in one at a time, so an event and a reconciliation pass
    that meet the same raw object take it in once. Two processes on one bucket could both take it
    in (two uploads of the same bytes, the first one's job then skipped as stale).
    """

    engine: Engine
    store: ObjectStore
    gallery: Gallery
    bucket: str
    max_upload_bytes: int
    grace: timedelta = DEFAULT_GRACE
    clock: Callable[[], datetime] = utc_now
    _one_at_a_time: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def handle(self, event: BucketObjectCreated) -> IngestOutcome:
        with self._one_at_a_time:
            return self._handle(event)

    def _handle(self, event: BucketObjectCreated) -> IngestOutcome:
        if event.bucket != self.bucket:
            return IngestOutcome.IGNORED
        owner_id = owner_of(event.key)
        if owner_id is not None and not self._owner_exists(owner_id):
            log.info("removing %s: its account no longer exists", event.key)
            with suppress(ObjectNotFoundError):
                self.store.delete(event.key)
            return IngestOutcome.ORPHANED
        target = upload_target(event.key)
        if target is None:
            return IngestOutcome.IGNORED
        try:
            info = self.store.head(event.key)
        except ObjectNotFoundError:
            return IngestOutcome.GONE
        if UPLOAD_ID in info.metadata:
            recorded = self._recorded_upload_id(target)
            if recorded == info.metadata[UPLOAD_ID] and event.key == target.object_key:
                return IngestOutcome.ALREADY_RECORDED
            if self._recent(info):
                return IngestOutcome.IN_FLIGHT
            if recorded is None:
                # An API upload that never completed: its client was answered with an error (or not
                # at all), so the photo does not stay behind to be classified unasked.
                log.info("removing %s: an API upload that never completed", event.key)
                self.store.delete(event.key)
                return IngestOutcome.ABANDONED
            # It was written over a recorded image, whose bytes are gone: the new ones are taken in.
            log.info("taking in %s again: its upload id is recorded nowhere", event.key)
        outcome = self._take_in(event.key, target, info)
        if event.key != target.object_key:
            # The key was not in NFC: the upload now lives under its NFC key, the raw object must go.
            self.store.delete(event.key)
        return outcome

    def _take_in(self, key: str, target: UploadTarget, info: ObjectInfo) -> IngestOutcome:
        if info.size > self.max_upload_bytes:
            message = f"The upload is larger than the limit of {self.max_upload_bytes / 1_000_000:g} MB."
            return self._reject(key, target, info.size, message)
        try:
            body = self.store.get(key).body
        except ObjectNotFoundError:
            return IngestOutcome.GONE
        try:
            self._record(target, body)
        except (ImageRejectedError, PhotoQuotaError) as error:
            return self._reject(key, target, len(body), str(error))
        return IngestOutcome.RECORDED

    def _record(self, target: UploadTarget, body: bytes) -> None:
        """The one call that stores a cleaned upload with its row and job (the API's own upload path)."""
        self.gallery.upload(owner_id=target.owner_id, file_name=target.file_name, data=body)

    def _reject(self, key: str, target: UploadTarget, size: int, message: str) -> IngestOutcome:
        log.info("refused %s: %s", key, message)
        self.gallery.record_rejected(owner_id=target.owner_id, file_name=target.file_name, size=size, error=message)
        # Raw bytes that failed the hygiene may carry anything (EXIF positions included): they do not stay.
        self.store.delete(key)
        return IngestOutcome.REJECTED

    def _recent(self, info: ObjectInfo) -> bool:
        try:
            written = as_utc(datetime.fromisoformat(info.metadata.get(UPLOADED_AT, "")))
        except ValueError:
            return False
        return self.clock() - written < self.grace

    def _owner_exists(self, owner_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.id).where(users.c.id == owner_id)).first() is not None

    def _recorded_upload_id(self, target: UploadTarget) -> str | None:
        with self.engine.connect() as conn:
            row = find_image(conn, owner_id=target.owner_id, file_name=target.file_name)
        return None if row is None else row.summary.upload_id
