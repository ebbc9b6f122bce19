"""Consume object-created events: classify the stored image and label the object."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from spotcheck.classifier.base import (
    Assessment,
    Classifier,
    ModelServerUnavailableError,
    PreparedPhoto,
    PreparesPhotos,
    Refusal,
)
from spotcheck.classifier.handoff import PhotoHandoff, PreparedPhotos
from spotcheck.clock import utc_now
from spotcheck.error_text import first_line
from spotcheck.gallery.object_metadata import UPLOAD_ID, UPLOADED_AT, StoredLabel, label_metadata, read_label
from spotcheck.gallery.records import ImageRecords
from spotcheck.gallery.rows import ImageRow, find_image_at
from spotcheck.images.decode import decode_for_model
from spotcheck.jobs.base import Job, JobQueue
from spotcheck.observability import logs, metrics
from spotcheck.storage.base import (
    MetadataCompareAndSet,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    PreconditionFailedError,
    StorageError,
    StorageUnavailableError,
)

__all__ = ["BATCH_SIZE", "DECODE_SIZE", "ClassificationWorker", "Outcome", "WorkerPool", "exponential_backoff"]

log = logging.getLogger(__name__)

# Jobs a worker thread takes at once when a queue has built up: their images go to the classifier in
# one call. Under load this spreads the fixed cost of a call; a lone upload is never held back.
BATCH_SIZE = 8

# The least (width, height) a stored photo is decoded at (JPEGs scale down towards it, never below):
# twice the shipped model's 200x150 input, which the photo gate (it measures at 200 px) and the
# model's resize need. OnnxClassifier.decode_size gives it for another model.
DECODE_SIZE = (400, 300)

# Outages of the store, the database or the model server: no fault of the photo, so they never use up its attempts.
_OUTAGES = (StorageUnavailableError, OperationalError, PoolTimeoutError, ModelServerUnavailableError)


def exponential_backoff(attempt: int) -> float:
    """Seconds to wait before delivery ``attempt + 1``: 2, 4, 8 ... at most 60."""
    return min(2.0**attempt, 60.0)


class Outcome(StrEnum):
    LABELLED = "labelled"
    REFUSED = "refused"  # the photo gate refused the photo; its reason is the label
    ALREADY_LABELLED = "already-labelled"
    STALE = "stale"  # deleted, or replaced by a newer upload whose own job will label it
    FAILED = "failed"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class _Readable:
    """A job whose photo is ready for the classifier: decoded from the store, or prepared at upload."""

    job: Job
    info: ObjectInfo
    photo: Image.Image | PreparedPhoto


class ClassificationWorker:
    """Handles jobs one batch at a time; safe to run in many threads or processes at once."""

    def __init__(
        self,
        *,
        engine: Engine,
        records: ImageRecords,
        store: ObjectStore,
        queue: JobQueue,
        classifier: Classifier,
        max_attempts: int,
        retry_delay: Callable[[int], float] = exponential_backoff,
        decode_size: tuple[int, int] = DECODE_SIZE,
        prepared: PhotoHandoff | None = None,
    ) -> None:
        self._engine = engine  # for reads; rows are written through ``records``
        self._records = records
        self._store = store
        # A store that checks the upload id as it writes a label (decided once: the check is not free).
        self._checking_store = store if isinstance(store, MetadataCompareAndSet) else None
        self._queue = queue
        self._classifier = classifier
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._decode_size = decode_size
        if isinstance(prepared, PreparedPhotos) and not isinstance(classifier, PreparesPhotos):
            raise TypeError("photos prepared at upload need a classifier that takes prepared photos")
        self._prepared = prepared  # photos the server's uploads decoded or prepared already

    def _current_row(self, job: Job) -> ImageRow | None:
        with self._engine.connect() as conn:
            return find_image_at(conn, job.event.object_key)

    def _mark_failed(self, job: Job, message: str) -> Outcome:
        self._records.record_failure(job.event, message)
        metrics.job_failed(self._classifier.version)
        self._queue.fail(job, error=message)
        return Outcome.FAILED

    def _retry_or_fail(self, job: Job, message: str) -> Outcome:
        if job.attempt >= self._max_attempts:
            return self._mark_failed(job, f"{message} (gave up after {job.attempt} attempts)")
        self._queue.retry(job, error=message, delay=self._retry_delay(job.attempt))
        metrics.job_retried(self._classifier.version)
        return Outcome.RETRY

    def _fault(self, job: Job, exc: Exception) -> Outcome:
        if isinstance(exc, _OUTAGES):
            log.warning("job %s for %s: %s; retrying", job.id, job.event.object_key, first_line(exc))
            self._queue.retry(job, error=f"outage: {exc}", delay=self._retry_delay(job.attempt))
            metrics.job_retried(self._classifier.version)
            return Outcome.RETRY
        if isinstance(exc, StorageError):
            return self._retry_or_fail(job, f"The image could not be read from storage: {exc}")
        # A classifier or database fault: without this the job would be re-leased forever.
        log.exception("job %s for %s failed", job.id, job.event.object_key, exc_info=exc, extra=logs.job_fields(job))
        return self._retry_or_fail(job, f"The analysis failed unexpectedly ({type(exc).__name__}).")

    def handle(self, job: Job) -> Outcome:
        return self.handle_batch([job])[0]

    def handle_batch(self, jobs: list[Job]) -> list[Outcome]:
        """Handle ``jobs``, classifying all of their images in one classifier call; an outcome per job."""
        outcomes: dict[str, Outcome] = {}
        readable: list[_Readable] = []
        for job in jobs:
            try:
                prepared = self._prepare(job)
            except Exception as exc:
                outcomes[job.id] = self._fault(job, exc)
                continue
            if isinstance(prepared, _Readable):
                readable.append(prepared)
            else:
                outcomes[job.id] = prepared
        if readable:
            try:
                assessments = self._assess([r.photo for r in readable])
                if len(assessments) != len(readable):
                    raise RuntimeError(f"the classifier answered {len(assessments)} of {len(readable)} images")
            except Exception as exc:
                assessments = []
                for r in readable:
                    outcomes[r.job.id] = self._fault(r.job, exc)
            for r, assessment in zip(readable, assessments, strict=False):  # empty after a fault
                try:
                    outcomes[r.job.id] = self._write(r, assessment)
                except Exception as exc:
                    outcomes[r.job.id] = self._fault(r.job, exc)
        # Failed and retried jobs are settled already; the rest in one transaction. Should this fail, their
        # leases hand them out again, and each finds its label written.
        done = [job for job in jobs if outcomes[job.id] not in (Outcome.FAILED, Outcome.RETRY)]
        if done:
            self._queue.complete(*done)
        return [outcomes[job.id] for job in jobs]

    def _assess(self, photos: list[Image.Image | PreparedPhoto]) -> list[Assessment]:
        classifier = self._classifier
        if isinstance(classifier, PreparesPhotos):
            return classifier.assess([classifier.prepare(p) if isinstance(p, Image.Image) else p for p in photos])
        decoded = [p for p in photos if isinstance(p, Image.Image)]
        assert len(decoded) == len(photos)  # photos are prepared only for a classifier that takes them
        return classifier.classify(decoded)

    def _prepare(self, job: Job) -> Outcome | _Readable:
        """The job's photo, or the outcome that makes classifying it needless."""
        row = self._current_row(job)
        if row is None or row.summary.upload_id != job.event.upload_id:
            return Outcome.STALE
        key = job.event.object_key
        try:
            # With a handoff the object's header may be all the worker needs; without one, one read brings both.
            stored = None if self._prepared is not None else self._store.get(key)
            info = self._store.head(key) if stored is None else stored.info
        except ObjectNotFoundError:
            return Outcome.STALE
        metadata = info.metadata
        if metadata.get(UPLOAD_ID) != job.event.upload_id:
            return Outcome.STALE  # the object already holds a newer upload
        label = read_label(metadata)
        if label is not None and label.model_version == self._classifier.version:
            self._records.record_label(job.event, label)
            return Outcome.ALREADY_LABELLED
        # Only this upload's object carries its id, so the photo its upload prepared is this object's.
        handed = self._prepared.take(key, job.event.upload_id) if self._prepared is not None else None
        if handed is not None:
            return _Readable(job, info, handed)
        if stored is None:
            try:
                stored = self._store.get(key)
            except ObjectNotFoundError:
                return Outcome.STALE
            if stored.info.metadata.get(UPLOAD_ID) != job.event.upload_id:
                return Outcome.STALE  # replaced since the look above
        try:
            return _Readable(job, stored.info, decode_for_model(stored.body, at_least=self._decode_size))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            return self._mark_failed(
                job, "The stored image could not be analysed: it is damaged or not an image; please upload it again."
            )

    def _write(self, readable: _Readable, assessment: Assessment) -> Outcome:
        job, stored = readable.job, readable.info
        new_metadata = label_metadata(
            stored.metadata, upload_id=job.event.upload_id, assessment=assessment, classified_at=utc_now()
        )
        # The row gets the label exactly as stored on the object (probability rounded as written there),
        # so a re-delivered job that finds the label already written leaves the row as it is.
        written = read_label(new_metadata)
        assert written is not None
        try:
            if not self._label_object_and_row(job, new_metadata, written, etag=stored.etag):
                return Outcome.STALE  # replaced or deleted while it was being classified
        except (PreconditionFailedError, ObjectNotFoundError):
            return Outcome.STALE
        metrics.label_written(written, uploaded_at=stored.metadata.get(UPLOADED_AT))
        return Outcome.REFUSED if isinstance(written.assessment, Refusal) else Outcome.LABELLED

    def _label_object_and_row(self, job: Job, metadata: dict[str, str], written: StoredLabel, *, etag: str) -> bool:
        """Label the object, then its row; False when the row holds another upload by then."""
        key, upload_id = job.event.object_key, job.event.upload_id
        if self._checking_store is not None:
            # The store itself refuses a label for an object that no longer holds this upload, so the
            # label's write (a copy of the whole object, fsynced) keeps out of the row's write lock,
            # which on SQLite is the whole database's. A crash in between leaves a labelled object
            # whose job runs again and copies the label to the row.
            self._checking_store.set_metadata_if(key, metadata, holding={UPLOAD_ID: upload_id})
            return self._records.record_label(job.event, written)
        # Elsewhere (S3) only the row's write lock keeps a newer upload out: an upload that replaces
        # this image takes it first. (An ETag cannot tell: the same bytes uploaded again keep it.)
        with self._records.labelling(job.event, written) as current:
            if current:
                self._store.set_metadata(key, metadata, if_match=etag)
            return current


class WorkerPool:
    """Threads that claim and handle jobs until stopped.

    ``classifier_reachable``: while it answers False (a model server known to be down), no job is
    claimed, so waiting jobs keep their attempts until the classifier is back.
    """

    def __init__(
        self,
        worker: ClassificationWorker,
        queue: JobQueue,
        *,
        concurrency: int,
        batch_size: int = BATCH_SIZE,
        classifier_reachable: Callable[[], bool] = lambda: True,
    ) -> None:
        self._worker = worker
        self._queue = queue
        self._batch_size = batch_size
        self._classifier_reachable = classifier_reachable
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"spotcheck-worker-{i}", daemon=True) for i in range(concurrency)
        ]

    @property
    def running(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    @property
    def starting(self) -> bool:
        """Never: the threads take jobs as soon as they start (``LabellingProcess`` has to load a model)."""
        return False

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                logs.bind_jobs(())
                if not self._classifier_reachable():
                    self._stop.wait(1.0)
                    continue
                job = self._queue.claim(timeout=0.5)
                if job is None:
                    continue
                # Micro-batching: whatever else is already waiting joins this job, up to the batch size.
                batch = [job, *self._queue.claim_waiting(self._batch_size - 1)]
                logs.bind_jobs(batch)
                for done, outcome in zip(batch, self._worker.handle_batch(batch), strict=True):
                    log.info("job %s for %s: %s", done.id, done.event.object_key, outcome, extra=logs.job_fields(done))
            except _OUTAGES as exc:  # the database is down: one line, then try again
                log.warning("worker: %s", first_line(exc))
                self._stop.wait(1.0)
            except Exception:  # keep the worker alive; the job's lease hands it out again
                log.exception("worker error")
                self._stop.wait(1.0)
