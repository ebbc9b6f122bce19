"""The images table's only writer: uploads (with their outbox job), labels, failures, deletes and repairs.

The API (``Gallery``), the classification worker and any ingestion of objects that reach the store
another way all write image rows through here, so a status is always an ``ImageStatus`` and a new
upload always gets its job in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, delete, insert, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from spotcheck.classifier.base import Prediction
from spotcheck.db.tables import ImageStatus, images
from spotcheck.db.writers import serialised_writes
from spotcheck.gallery.object_metadata import StoredLabel
from spotcheck.jobs.base import ObjectCreated
from spotcheck.jobs.sql import add_job, discard_jobs

__all__ = ["ImageRecords"]

log = logging.getLogger(__name__)

_NO_LABEL: dict[str, object] = {
    "classification": None,
    "refusal": None,
    "malignant_probability": None,
    "model_version": None,
    "classified_at": None,
    "error": None,
}


def _label_values(label: StoredLabel) -> dict[str, object]:
    assessment = label.assessment
    outcome: dict[str, object] = (
        {
            "status": ImageStatus.DONE,
            "classification": assessment.classification.value,
            "malignant_probability": assessment.malignant_probability,
            "refusal": None,
        }
        if isinstance(assessment, Prediction)
        else {
            "status": ImageStatus.REFUSED,
            "classification": None,
            "malignant_probability": None,
            "refusal": assessment.reason.value,
        }
    )
    return {
        **outcome,
        "model_version": label.model_version,
        "classified_at": label.classified_at,
        "error": None,
    }


def _current(event: ObjectCreated) -> ColumnElement[bool]:
    return (images.c.object_key == event.object_key) & (images.c.upload_id == event.upload_id)


class ImageRecords:
    """Writes image rows; ``on_job_committed`` runs after every commit that added a job (to wake the queue)."""

    def __init__(self, engine: Engine, *, on_job_committed: Callable[[], None] = lambda: None) -> None:
        self._engine = engine
        self._on_job_committed = on_job_committed

    @contextmanager
    def recording_upload(
        self,
        *,
        owner_id: str,
        file_name: str,
        object_key: str,
        upload_id: str,
        size: int,
        uploaded_at: datetime,
        spot_id: str | None = None,
    ) -> Iterator[None]:
        """One transaction: the image row (new, or a replaced one starting over as pending) and its job.

        The body of the ``with`` runs while the row's write lock is held, before the commit: storing the
        object there serialises uploads of one name, deletes and labelling (which take the same lock), and
        an exception (a failed put) rolls back row and job together. Without ``spot_id`` a replaced image
        stays in the spot it was in.
        """
        values = {"object_key": object_key, "upload_id": upload_id, "status": ImageStatus.PENDING, "size": size}
        values |= {"uploaded_at": uploaded_at, **_NO_LABEL}
        if spot_id is not None:
            values["spot_id"] = spot_id
        where = (images.c.owner_id == owner_id) & (images.c.file_name == file_name)
        with serialised_writes(self._engine):
            yield from self._record_upload(where, values, owner_id, file_name, object_key, upload_id)
        self._on_job_committed()

    def _record_upload(
        self,
        where: ColumnElement[bool],
        values: dict[str, object],
        owner_id: str,
        file_name: str,
        object_key: str,
        upload_id: str,
    ) -> Iterator[None]:
        for attempt in (1, 2):
            conn = self._engine.connect()
            transaction = conn.begin()
            try:
                if conn.execute(update(images).where(where).values(**values)).rowcount == 0:
                    conn.execute(insert(images).values(owner_id=owner_id, file_name=file_name, **values))
                add_job(conn, ObjectCreated(object_key, upload_id))
                break
            except BaseException as exc:
                transaction.rollback()
                conn.close()
                if not isinstance(exc, IntegrityError) or attempt == 2:
                    raise
                # A concurrent first upload of this name inserted the row between our update and insert
                # (databases with row locks); the second round updates that row instead.
        try:
            yield
            transaction.commit()
        except BaseException:
            try:
                transaction.rollback()
            except SQLAlchemyError:
                # The database dropped the connection while the body ran (a store slower than the
                # database's patience): the transaction went with it, and the body's error is the news.
                log.warning("could not roll back the upload of %s: the connection is gone", object_key)
            raise
        finally:
            conn.close()

    @contextmanager
    def labelling(self, event: ObjectCreated, label: StoredLabel) -> Iterator[bool]:
        """Write ``label`` to the row of this upload; yields False (and writes nothing) when it is stale.

        The body runs under the row's write lock (write the label onto the object there): an upload that
        replaces the image takes the same lock first, so a label never lands on a newer upload.
        """
        with serialised_writes(self._engine), self._engine.begin() as conn:
            written = conn.execute(update(images).where(_current(event)).values(**_label_values(label)))
            yield written.rowcount == 1

    def record_label(self, event: ObjectCreated, label: StoredLabel) -> bool:
        """Copy a label already on the object to its row; False when the row holds another upload."""
        with self.labelling(event, label) as current:
            return current

    def record_rejected(
        self, *, owner_id: str, file_name: str, object_key: str, upload_id: str, size: int, error: str, at: datetime
    ) -> None:
        """An object that reached the store another way and failed the upload hygiene: status failed, no job."""
        values = {"object_key": object_key, "upload_id": upload_id, "status": ImageStatus.FAILED, "size": size}
        values |= {"uploaded_at": at, **_NO_LABEL, "error": error}
        where = (images.c.owner_id == owner_id) & (images.c.file_name == file_name)
        with serialised_writes(self._engine), self._engine.begin() as conn:
            if conn.execute(update(images).where(where).values(**values)).rowcount == 0:
                conn.execute(insert(images).values(owner_id=owner_id, file_name=file_name, **values))

    def record_failure(self, event: ObjectCreated, message: str) -> None:
        with serialised_writes(self._engine), self._engine.begin() as conn:
            conn.execute(update(images).where(_current(event)).values(status=ImageStatus.FAILED, error=message))

    @contextmanager
    def holding(self, *, owner_id: str, file_name: str, upload_id: str) -> Iterator[bool]:
        """Take the row's write lock while it still names ``upload_id``; yields whether it does.

        The body runs under the lock (write an object derived from the upload there): a delete or a new
        upload, which take the same lock, cannot interleave.
        """
        where = (images.c.owner_id == owner_id) & (images.c.file_name == file_name) & (images.c.upload_id == upload_id)
        with serialised_writes(self._engine), self._engine.begin() as conn:
            current = conn.execute(update(images).where(where).values(upload_id=upload_id))
            yield current.rowcount == 1

    def file_under(self, *, owner_id: str, file_name: str, spot_id: str | None) -> bool:
        """File the image under ``spot_id`` (None: under no spot); False when there is no such image.

        Only the row's spot changes: its upload, label, object and jobs stay as they are.
        """
        where = (images.c.owner_id == owner_id) & (images.c.file_name == file_name)
        with self._engine.begin() as conn:
            return conn.execute(update(images).where(where).values(spot_id=spot_id)).rowcount == 1

    @contextmanager
    def removing(self, *, owner_id: str, file_name: str, object_key: str) -> Iterator[bool]:
        """Delete the row and its jobs in one transaction; yields whether there was a row.

        The body runs under the row's lock, before the commit (delete the object there).
        """
        with serialised_writes(self._engine), self._engine.begin() as conn:
            gone = conn.execute(delete(images).where(images.c.owner_id == owner_id, images.c.file_name == file_name))
            discard_jobs(conn, object_key)
            yield gone.rowcount == 1

    def restart(self, *, owner_id: str, file_name: str, object_key: str, upload_id: str) -> None:
        """The object holds ``upload_id``, which the row never recorded: record it as pending, with a job."""
        where = (images.c.owner_id == owner_id) & (images.c.file_name == file_name)
        with serialised_writes(self._engine), self._engine.begin() as conn:
            conn.execute(
                update(images).where(where).values(upload_id=upload_id, status=ImageStatus.PENDING, **_NO_LABEL)
            )
            add_job(conn, ObjectCreated(object_key, upload_id))
        self._on_job_committed()

    def forget(self, *, owner_id: str, file_name: str) -> None:
        """Drop a row whose object is gone."""
        with serialised_writes(self._engine), self._engine.begin() as conn:
            conn.execute(delete(images).where(images.c.owner_id == owner_id, images.c.file_name == file_name))
