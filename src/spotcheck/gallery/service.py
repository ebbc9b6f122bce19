"""A user's uploads: store, look up, list, fetch and delete, and read back their labels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from spotcheck.classifier.handoff import PhotoHandoff
from spotcheck.clock import utc_now
from spotcheck.db.tables import ImageStatus
from spotcheck.gallery.object_metadata import UPLOAD_ID, UPLOADED_AT, StoredLabel, read_label
from spotcheck.gallery.records import ImageRecords
from spotcheck.gallery.rows import ImageRow, ImageSummary, count_images, every_image, find_image, images_of
from spotcheck.images import ImageSanitizer, normalize_file_name, render_thumbnail, validate_file_name
from spotcheck.storage.base import ObjectNotFoundError, ObjectStore
from spotcheck.storage.keys import object_key_for, thumbnail_key_for
from spotcheck.storage.staging import staged_put

__all__ = [
    "AnalysisFailedError",
    "Gallery",
    "ImageNotFoundError",
    "ImagePage",
    "PhotoQuotaError",
    "SpotGoneError",
]


class ImageNotFoundError(LookupError):
    def __init__(self, file_name: str) -> None:
        super().__init__(f"No image named {file_name!r}.")
        self.file_name = file_name


class AnalysisFailedError(Exception):
    """The stored image could not be analysed; the message says why."""


class PhotoQuotaError(Exception):
    """The account holds as many photos as it may; a new name is refused, a replaced photo is not."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This account holds {limit:,} photos, the most it may keep: delete some before uploading new ones."
        )


class SpotGoneError(LookupError):
    """The spot an upload was filed under is no longer there (deleted while the photo arrived)."""

    def __init__(self, spot_id: str) -> None:
        super().__init__(f"No spot with id {spot_id!r} among your spots: it was deleted. Upload without it.")
        self.spot_id = spot_id


@dataclass(frozen=True, slots=True)
class ImagePage:
    items: list[ImageSummary]
    total: int


class Gallery:
    def __init__(
        self,
        *,
        engine: Engine,
        records: ImageRecords,
        store: ObjectStore,
        sanitizer: ImageSanitizer,
        max_photos: int = 5000,
        prepared: PhotoHandoff | None = None,
    ) -> None:
        self._engine = engine  # for reads; every write goes through ``records``
        self._records = records
        self._store = store
        self._sanitizer = sanitizer
        self._max_photos = max_photos
        self._prepared = prepared  # uploads decoded for the worker (here or in the labelling process), if any

    def check_quota(self, *, owner_id: str, file_name: str) -> None:
        """PhotoQuotaError when ``file_name`` would be one photo too many (replacing one is always allowed).

        Checked before the upload is decoded; two uploads at the very same moment may pass it together.
        """
        with self._engine.connect() as conn:
            if count_images(conn, owner_id=owner_id) < self._max_photos:
                return
            replaced = find_image(conn, owner_id=owner_id, file_name=file_name)
        if replaced is None:
            raise PhotoQuotaError(self._max_photos)

    def _row(self, owner_id: str, file_name: str) -> ImageRow:
        file_name = normalize_file_name(file_name)
        with self._engine.connect() as conn:
            row = find_image(conn, owner_id=owner_id, file_name=file_name)
        if row is None:
            raise ImageNotFoundError(file_name)
        return row

    def upload(self, *, owner_id: str, file_name: str, data: bytes, spot_id: str | None = None) -> ImageSummary:
        """Sanitise and store the image; its row and its job commit together, a replaced image starts over.

        ``spot_id`` files the photo under a spot the caller checked is the owner's; without one, a
        replaced image stays in the spot it was in.
        """
        file_name = validate_file_name(file_name)
        self.check_quota(owner_id=owner_id, file_name=file_name)
        decode_at = self._prepared.decode_size if self._prepared is not None else None
        clean = self._sanitizer.clean(data, decode_at=decode_at)
        key = object_key_for(owner_id, file_name)
        upload_id = str(uuid.uuid4())
        now = utc_now()
        metadata = {UPLOAD_ID: upload_id, UPLOADED_AT: now.isoformat()}
        if self._prepared is not None and clean.decoded is not None:
            # Before the job is committed, and outside the database's write lock. Should the upload fail,
            # no object carries its upload id, so the entry stands for nothing and ages out.
            self._prepared.put(key, upload_id, clean.decoded)
        # The object is published while the row's write lock is held, so the row and the object always
        # name the same upload; a failed put rolls back the row and its job. Where the store can, the
        # bytes are written and fsynced before, so the lock (on SQLite the whole database's) is held only
        # for the rename; the rename is made durable after the commit, before the upload is answered. (A
        # power cut in between can leave the row ahead of the object: the start-up repair sets it back.)
        try:
            with (
                staged_put(self._store, key, clean.jpeg, content_type="image/jpeg", metadata=metadata) as staged,
                self._records.recording_upload(
                    owner_id=owner_id,
                    file_name=file_name,
                    object_key=key,
                    upload_id=upload_id,
                    size=len(clean.jpeg),
                    uploaded_at=now,
                    spot_id=spot_id,
                ),
            ):
                staged.publish()
        except IntegrityError:
            # The caller checked the spot; only its deletion in the meantime breaks the row's foreign key.
            if spot_id is None:
                raise
            raise SpotGoneError(spot_id) from None
        return ImageSummary(
            file_name=file_name,
            upload_id=upload_id,
            status=ImageStatus.PENDING,
            size=len(clean.jpeg),
            uploaded_at=now,
            spot_id=spot_id,
        )

    def record_rejected(self, *, owner_id: str, file_name: str, size: int, error: str) -> None:
        """Record an upload that reached the bucket directly but failed the upload hygiene: status failed.

        There was no request to answer with the reason, so GET /detect tells it (422 with ``error``).
        """
        file_name = validate_file_name(file_name)
        self._records.record_rejected(
            owner_id=owner_id,
            file_name=file_name,
            object_key=object_key_for(owner_id, file_name),
            upload_id=str(uuid.uuid4()),
            size=size,
            error=error,
            at=utc_now(),
        )

    def summary(self, *, owner_id: str, file_name: str) -> ImageSummary:
        return self._row(owner_id, file_name).summary

    def detect(self, *, owner_id: str, file_name: str) -> StoredLabel | None:
        """The label (a classification or the photo gate's refusal) of the current upload; None while pending."""
        row = self._row(owner_id, file_name)
        image = row.summary
        if image.status == ImageStatus.FAILED:
            raise AnalysisFailedError(image.error or "The stored image could not be analysed.")
        if image.status not in (ImageStatus.DONE, ImageStatus.REFUSED):
            return None
        try:
            info = self._store.head(row.object_key)
        except ObjectNotFoundError:
            raise ImageNotFoundError(file_name) from None
        label = read_label(info.metadata)
        # A label written for an earlier upload of this name is never served for the new image.
        if label is None or label.upload_id != image.upload_id:
            return None
        return label

    def list_page(self, *, owner_id: str, limit: int, offset: int) -> ImagePage:
        with self._engine.connect() as conn:
            total = count_images(conn, owner_id=owner_id)
            items = images_of(conn, owner_id=owner_id, newest_first=True, limit=limit, offset=offset)
        return ImagePage(items=items, total=total)

    def in_spot(self, *, owner_id: str, spot_id: str) -> list[ImageSummary]:
        """The photos filed under one spot, oldest first."""
        with self._engine.connect() as conn:
            return images_of(conn, owner_id=owner_id, spot_id=spot_id)

    def all_of(self, *, owner_id: str) -> list[ImageSummary]:
        """Every upload of one owner, oldest first (for an export or an account's deletion)."""
        with self._engine.connect() as conn:
            return images_of(conn, owner_id=owner_id)

    def file_under(self, *, owner_id: str, file_name: str, spot_id: str | None) -> ImageSummary:
        """Move an existing image into the spot ``spot_id`` (one the caller checked is the owner's), or out
        of any spot with None; the photo, its label and its answers stay. ImageNotFoundError: no such image."""
        file_name = normalize_file_name(file_name)
        try:
            found = self._records.file_under(owner_id=owner_id, file_name=file_name, spot_id=spot_id)
        except IntegrityError:
            # The caller checked the spot; only its deletion in the meantime breaks the row's foreign key.
            if spot_id is None:
                raise
            raise SpotGoneError(spot_id) from None
        if not found:
            raise ImageNotFoundError(file_name)
        return self.summary(owner_id=owner_id, file_name=file_name)

    def content(self, *, owner_id: str, file_name: str) -> tuple[bytes, str]:
        row = self._row(owner_id, file_name)
        try:
            stored = self._store.get(row.object_key)
        except ObjectNotFoundError:
            raise ImageNotFoundError(file_name) from None
        return stored.body, stored.info.content_type or "image/jpeg"

    def thumbnail(self, *, owner_id: str, file_name: str) -> bytes:
        """A small JPEG of the current upload, made on first request and cached in the store."""
        image = self._row(owner_id, file_name).summary
        key = thumbnail_key_for(owner_id, image.file_name)
        try:
            cached = self._store.get(key)
            if cached.info.metadata.get(UPLOAD_ID) == image.upload_id:
                return cached.body
        except ObjectNotFoundError:
            pass
        small = render_thumbnail(self.content(owner_id=owner_id, file_name=image.file_name)[0])
        # Cached under the row's write lock, and only while the row still names this upload: a
        # delete (which removes the rendition under the same lock) cannot leave one behind.
        with self._records.holding(owner_id=owner_id, file_name=image.file_name, upload_id=image.upload_id) as current:
            if current:
                self._store.put(key, small, content_type="image/jpeg", metadata={UPLOAD_ID: image.upload_id})
        return small

    def delete(self, *, owner_id: str, file_name: str) -> None:
        """Remove the row, its jobs, the object and its rendition together (the objects under the row's lock)."""
        file_name = normalize_file_name(file_name)
        key = object_key_for(owner_id, file_name)
        with self._records.removing(owner_id=owner_id, file_name=file_name, object_key=key) as found:
            if not found:
                raise ImageNotFoundError(file_name)
            self._store.delete(key)
            self._store.delete(thumbnail_key_for(owner_id, file_name))

    def repair_interrupted_writes(self) -> int:
        """Make every row agree with its object again after a crash; returns how many rows changed.

        An upload writes its object while its row's transaction is open; a crash between the two
        leaves the object holding an upload the row never recorded, and a delete killed midway
        leaves a row without an object. Only safe while no upload or delete is in flight, that is,
        at the start-up of the only process that serves this data.
        """
        repaired = 0
        with self._engine.connect() as conn:
            recorded = every_image(conn)
        for row in recorded:
            try:
                stored_upload = self._store.head(row.object_key).metadata.get(UPLOAD_ID)
            except ObjectNotFoundError:
                stored_upload = None
            file_name = row.summary.file_name
            if stored_upload == row.summary.upload_id:
                continue
            if stored_upload is None:
                self._records.forget(owner_id=row.owner_id, file_name=file_name)
            else:
                self._records.restart(
                    owner_id=row.owner_id, file_name=file_name, object_key=row.object_key, upload_id=stored_upload
                )
            repaired += 1
        return repaired
