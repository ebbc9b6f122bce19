"""Consume object-created events: classify the stored image and label the object."""

from __future__ import annotations

import io
import logging
import threading
from enum import StrEnum
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import Engine, select, update

from spotcheck.classifier.base import Classifier
from spotcheck.clock import utc_now
from spotcheck.db.tables import images
from spotcheck.gallery.labels import UPLOAD_ID, label_metadata, read_label
from spotcheck.jobs.base import Job, JobQueue
from spotcheck.storage.base import ObjectNotFoundError, ObjectStore, PreconditionFailedError, StorageError

__all__ = ["ClassificationWorker", "Outcome", "WorkerPool"]

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    LABELLED = "labelled"
    ALREADY_LABELLED = "already-labelled"
    STALE = "stale"  # deleted, or replaced by a newer upload whose own job will label it
    FAILED = "failed"
    RETRY = "retry"


class ClassificationWorker:
    """Handles one job at a time; safe to run in many threads or processes at once."""

    def __init__(
        self, *, engine: Engine, store: ObjectStore, queue: JobQueue, classifier: Classifier, max_attempts: int
    ) -> None:
        self._engine = engine
        self._store = store
        self._queue = queue
        self._classifier = classifier
        self._max_attempts = max_attempts

    def _current_row(self, job: Job) -> Any:
        with self._engine.connect() as conn:
            return conn.execute(select(images).where(images.c.object_key == job.event.object_key)).first()

    def _mark(self, job: Job, **values: object) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(images)
                .where(images.c.object_key == job.event.object_key, images.c.upload_id == job.event.upload_id)
                .values(**values)
            )

    def _mark_failed(self, job: Job, message: str) -> Outcome:
        self._mark(job, status="failed", error=message)
        self._queue.fail(job, error=message)
        return Outcome.FAILED

    def handle(self, job: Job) -> Outcome:
        try:
            outcome = self._handle(job)
        except StorageError as exc:
            if job.attempt >= self._max_attempts:
                return self._mark_failed(job, f"The image could not be read from storage: {exc}")
            self._queue.retry(job, error=str(exc), delay=min(2.0**job.attempt, 60.0))
            return Outcome.RETRY
        if outcome is not Outcome.FAILED:
            self._queue.complete(job)
        return outcome

    def _handle(self, job: Job) -> Outcome:
        row = self._current_row(job)
        if row is None or row.upload_id != job.event.upload_id:
            return Outcome.STALE
        try:
            stored = self._store.get(job.event.object_key)
        except ObjectNotFoundError:
            return Outcome.STALE
        metadata = stored.info.metadata
        if metadata.get(UPLOAD_ID) != job.event.upload_id:
            return Outcome.STALE  # the object already holds a newer upload
        label = read_label(metadata)
        if label is not None and label.model_version == self._classifier.version:
            self._mark(
                job,
                status="done",
                classification=label.classification.value,
                malignant_probability=label.malignant_probability,
                model_version=label.model_version,
                classified_at=label.classified_at,
                error=None,
            )
            return Outcome.ALREADY_LABELLED
        try:
            with Image.open(io.BytesIO(stored.body)) as image:
                image.load()
                prediction = self._classifier.classify([image])[0]
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            return self._mark_failed(job, f"The stored image could not be analysed: {exc}")
        classified_at = utc_now()
        try:
            self._store.set_metadata(
                job.event.object_key,
                label_metadata(
                    metadata, upload_id=job.event.upload_id, prediction=prediction, classified_at=classified_at
                ),
                if_match=stored.info.etag,
            )
        except (PreconditionFailedError, ObjectNotFoundError):
            return Outcome.STALE
        self._mark(
            job,
            status="done",
            classification=prediction.classification.value,
            malignant_probability=prediction.malignant_probability,
            model_version=prediction.model_version,
            classified_at=classified_at,
            error=None,
        )
        return Outcome.LABELLED


class WorkerPool:
    """Threads that claim and handle jobs until stopped."""

    def __init__(self, worker: ClassificationWorker, queue: JobQueue, *, concurrency: int) -> None:
        self._worker = worker
        self._queue = queue
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"spotcheck-worker-{i}", daemon=True) for i in range(concurrency)
        ]

    @property
    def running(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

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
                job = self._queue.claim(timeout=0.5)
                if job is not None:
                    outcome = self._worker.handle(job)
                    log.info("job %s for %s: %s", job.id, job.event.object_key, outcome)
            except Exception:  # keep the worker alive; the job's lease hands it out again
                log.exception("worker error")
                self._stop.wait(1.0)
