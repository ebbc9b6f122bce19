"""The classification worker: idempotent, never labels a stale upload, retries storage faults, then gives up;
writes the photo gate's refusals; classifies claimed jobs in micro-batches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import Engine, func, select

from fake_clock import FakeClock
from images import BLUE, GREEN, RED, image_bytes
from live_server import free_port
from spotcheck.auth import AccountService
from spotcheck.classifier.base import Assessment, Classifier, Prediction, PreparesPhotos, Refusal
from spotcheck.classifier.handoff import PreparedPhotos
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.remote import RemoteClassifier
from spotcheck.clock import as_utc, utc_now
from spotcheck.db import images, jobs, open_database
from spotcheck.gallery import AnalysisFailedError, Gallery
from spotcheck.gallery.records import ImageRecords
from spotcheck.images import ImageSanitizer
from spotcheck.jobs import Job, ObjectCreated, SqlJobQueue
from spotcheck.labelling import ClassificationWorker, Outcome, WorkerPool
from spotcheck.labelling.worker import DECODE_SIZE, exponential_backoff
from spotcheck.observability.metrics import REGISTRY
from spotcheck.photocheck.reasons import RefusalReason
from spotcheck.storage import MemoryObjectStore, ObjectStore, StorageError, StorageUnavailableError, StoredObject
from spotcheck.storage.base import ObjectInfo
from spotcheck.storage.local import LocalObjectStore

# --- fakes ----------------------------------------------------------------------------------


class FlakyStore(MemoryObjectStore):
    """Reads fail with ``error`` (a StorageError) ``failures`` times, then work."""

    def __init__(self, failures: int, error: type[StorageError] = StorageError) -> None:
        super().__init__()
        self.failures = failures
        self.error = error
        self.reads = 0

    def get(self, key: str) -> StoredObject:
        self.reads += 1
        if self.reads <= self.failures:
            raise self.error("connection reset by peer")
        return super().get(key)


class EtagOnlyStore:
    """A memory store whose metadata writes can depend on the ETag only, as on S3 (no ``set_metadata_if``)."""

    def __init__(self) -> None:
        self._inner = MemoryObjectStore()

    def __getattr__(self, name: str) -> Any:
        if name == "set_metadata_if":
            raise AttributeError(name)
        return getattr(self._inner, name)


class CountingClassifier:
    """The real tiny model, counting calls, optionally running a hook (or raising) mid-classification."""

    def __init__(self, inner: Classifier, during: Callable[[], None] | None = None, fail: int = 0) -> None:
        self._inner = inner
        self.version = inner.version
        self.calls = 0
        self.batch_sizes: list[int] = []
        self._during = during
        self._fail = fail

    def classify(self, batch: Sequence[Image.Image]) -> list[Assessment]:
        self.calls += 1
        self.batch_sizes.append(len(batch))
        if self.calls <= self._fail:
            raise RuntimeError("onnxruntime: out of memory")
        if self._during is not None:
            self._during()
        return self._inner.classify(batch)


@dataclass
class Parts:
    engine: Engine
    store: ObjectStore
    queue: SqlJobQueue
    gallery: Gallery
    owner: str

    def worker(
        self,
        classifier: Classifier,
        *,
        max_attempts: int = 3,
        retry_delay: float = 0.0,
        prepared: PreparedPhotos | None = None,
    ) -> ClassificationWorker:
        """A worker on these parts; with ``prepared``, it takes the photos uploads prepared (``spotcheck serve``)."""
        return ClassificationWorker(
            engine=self.engine,
            records=ImageRecords(self.engine),
            store=self.store,
            queue=self.queue,
            classifier=classifier,
            max_attempts=max_attempts,
            retry_delay=lambda _attempt: retry_delay,
            prepared=prepared,
        )

    def claim(self) -> Job:
        job = self.queue.claim(timeout=0)
        assert job is not None
        return job

    def job_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(jobs)).scalar_one())

    def row(self) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(images)).one()


@pytest.fixture
def tiny(tiny_model_path: Path) -> Classifier:
    return OnnxClassifier(tiny_model_path)


def _parts(tmp_path: Path, store: ObjectStore | None = None) -> Parts:
    engine = open_database(f"sqlite:///{tmp_path / 'worker.db'}")
    store = store or MemoryObjectStore()
    queue = SqlJobQueue(engine, lease_seconds=60)
    gallery = Gallery(
        engine=engine,
        records=ImageRecords(engine, on_job_committed=queue.wake),
        store=store,
        sanitizer=ImageSanitizer(max_pixels=40_000_000, max_concurrent=1),
    )
    owner = AccountService(engine).register(email="ada@example.org", password="correct horse battery").id
    return Parts(engine, store, queue, gallery, owner)


@pytest.fixture
def parts(tmp_path: Path) -> Parts:
    return _parts(tmp_path)


@pytest.fixture(params=["compare-and-set", "etag-only"])
def either_parts(request: pytest.FixtureRequest, tmp_path: Path) -> Parts:
    """Parts on a store that checks the upload id as it labels, and on one that cannot (the worker locks the row)."""
    store = MemoryObjectStore() if request.param == "compare-and-set" else cast(ObjectStore, EtagOnlyStore())
    return _parts(tmp_path, store)


@pytest.fixture
def gated(gated_model_path: Path) -> Classifier:
    """The tiny model behind the photo gate: green photos are refused as not a lesion."""
    return OnnxClassifier(gated_model_path)


def _upload(parts: Parts, colour: tuple[int, int, int] = RED, name: str = "mole.jpg") -> None:
    parts.gallery.upload(owner_id=parts.owner, file_name=name, data=image_bytes(colour))


def _label(parts: Parts) -> str | None:
    label = parts.gallery.detect(owner_id=parts.owner, file_name="mole.jpg")
    return label.assessment.classification if label and isinstance(label.assessment, Prediction) else None


# --- idempotency ----------------------------------------------------------------------------


def test_labelling_writes_metadata_and_row_without_a_new_event(parts: Parts, tiny: Classifier) -> None:
    _upload(parts)
    assert parts.job_count() == 1
    assert parts.worker(tiny).handle(parts.claim()) is Outcome.LABELLED
    assert parts.job_count() == 1  # writing the label is not a new upload
    assert parts.queue.claim(timeout=0) is None
    (info,) = parts.store.list()
    assert info.metadata["classification"] == "MALIGNANT"
    assert info.metadata["model-version"] == tiny.version
    assert _label(parts) == "MALIGNANT"


def test_reprocessing_a_labelled_object_changes_nothing(parts: Parts, tiny: Classifier) -> None:
    _upload(parts)
    classifier = CountingClassifier(tiny)
    worker = parts.worker(classifier)
    worker.handle(parts.claim())
    (before,) = parts.store.list()
    row_before = parts.row()

    # At-least-once delivery: the same event arrives again (a redelivery, a second notification).
    parts.queue.publish(_event_of(parts))
    assert worker.handle(parts.claim()) is Outcome.ALREADY_LABELLED
    (after,) = parts.store.list()
    assert after == before  # same metadata, same ETag
    assert parts.row() == row_before
    assert classifier.calls == 1  # not classified twice
    assert parts.queue.claim(timeout=0) is None
    assert parts.job_count() == 2


def _event_of(parts: Parts) -> ObjectCreated:
    row = parts.row()
    return ObjectCreated(row.object_key, row.upload_id)


# --- stale jobs -------------------------------------------------------------------------------


def test_a_job_of_a_replaced_upload_is_skipped(either_parts: Parts, tiny: Classifier) -> None:
    parts = either_parts
    _upload(parts, RED)
    _upload(parts, BLUE)
    worker = parts.worker(tiny)
    assert worker.handle(parts.claim()) is Outcome.STALE
    assert _label(parts) is None
    assert worker.handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "BENIGN"


def test_identical_bytes_uploaded_again_during_classification(either_parts: Parts, tiny: Classifier) -> None:
    parts = either_parts
    """The old job must not label the new upload, although the bytes (so the ETag) are the same.

    Before the fix the old job's conditional metadata write succeeded, stamping the object with
    the old upload id; the new upload's job then saw a "newer" object and skipped: pending forever.
    """
    _upload(parts, RED)
    classifier = CountingClassifier(tiny, during=lambda: _upload(parts, RED))
    worker = parts.worker(classifier)
    assert worker.handle(parts.claim()) is Outcome.STALE
    assert parts.worker(tiny).handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "MALIGNANT"
    (info,) = parts.store.list()
    assert info.metadata["upload-id"] == parts.row().upload_id


def test_a_job_of_a_deleted_image_is_skipped(either_parts: Parts, tiny: Classifier) -> None:
    parts = either_parts
    _upload(parts)
    job = parts.claim()
    parts.gallery.delete(owner_id=parts.owner, file_name="mole.jpg")
    assert parts.worker(tiny).handle(job) is Outcome.STALE
    assert list(parts.store.list()) == []


def test_a_job_whose_object_vanished_is_skipped(either_parts: Parts, tiny: Classifier) -> None:
    parts = either_parts
    _upload(parts)
    (info,) = parts.store.list()
    parts.store.delete(info.key)
    assert parts.worker(tiny).handle(parts.claim()) is Outcome.STALE
    assert list(parts.store.list()) == []


def test_a_job_of_an_image_deleted_during_classification_is_skipped(either_parts: Parts, tiny: Classifier) -> None:
    parts = either_parts
    _upload(parts)
    classifier = CountingClassifier(
        tiny, during=lambda: parts.gallery.delete(owner_id=parts.owner, file_name="mole.jpg")
    )
    assert parts.worker(classifier).handle(parts.claim()) is Outcome.STALE
    assert list(parts.store.list()) == []
    assert parts.job_count() == 0


class WritingWhileLabelling(MemoryObjectStore):
    """Runs ``during`` on another thread while it writes a label, and notes whether that finished meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.during: Callable[[], None] = lambda: None
        self.finished_meanwhile: bool | None = None

    def set_metadata_if(self, key: str, metadata: Mapping[str, str], *, holding: Mapping[str, str]) -> ObjectInfo:
        other = threading.Thread(target=self.during)
        other.start()
        other.join(timeout=5.0)
        self.finished_meanwhile = not other.is_alive()
        return super().set_metadata_if(key, metadata, holding=holding)


def test_a_label_is_written_outside_the_database_write_lock(tmp_path: Path, tiny: Classifier) -> None:
    """On SQLite a row's lock is the whole database's: an upload of another photo must not wait on a label's write."""
    store = WritingWhileLabelling()
    parts = _parts(tmp_path, store)
    _upload(parts)
    store.during = lambda: _upload(parts, BLUE, name="other.jpg")
    assert parts.worker(tiny).handle(parts.claim()) is Outcome.LABELLED
    assert store.finished_meanwhile is True
    assert _label(parts) == "MALIGNANT"


class AnswerLostStore(MemoryObjectStore):
    """Writes the first label, then fails as if the store's answer was lost on the way back."""

    def __init__(self) -> None:
        super().__init__()
        self.labels = 0

    def set_metadata_if(self, key: str, metadata: Mapping[str, str], *, holding: Mapping[str, str]) -> ObjectInfo:
        info = super().set_metadata_if(key, metadata, holding=holding)
        self.labels += 1
        if self.labels == 1:
            raise StorageUnavailableError("connection reset by peer")
        return info


def test_a_label_on_the_object_but_not_on_the_row_is_copied_when_the_job_runs_again(
    tmp_path: Path, tiny: Classifier
) -> None:
    store = AnswerLostStore()
    parts = _parts(tmp_path, store)
    _upload(parts)
    classifier = CountingClassifier(tiny)
    worker = parts.worker(classifier)
    assert worker.handle(parts.claim()) is Outcome.RETRY
    assert _label(parts) is None
    assert worker.handle(parts.claim()) is Outcome.ALREADY_LABELLED
    assert _label(parts) == "MALIGNANT"
    assert classifier.calls == 1


# --- retries ----------------------------------------------------------------------------------


def test_transient_storage_errors_are_retried(tmp_path: Path, tiny: Classifier) -> None:
    parts = _parts(tmp_path, FlakyStore(failures=2))
    _upload(parts)
    worker = parts.worker(tiny, max_attempts=3)
    assert worker.handle(parts.claim()) is Outcome.RETRY
    assert worker.handle(parts.claim()) is Outcome.RETRY
    job = parts.claim()
    assert job.attempt == 3
    assert worker.handle(job) is Outcome.LABELLED
    assert _label(parts) == "MALIGNANT"


def test_storage_errors_back_off_then_fail(tmp_path: Path, tiny: Classifier) -> None:
    parts = _parts(tmp_path, FlakyStore(failures=100))
    _upload(parts)
    backing_off = ClassificationWorker(
        engine=parts.engine,
        records=ImageRecords(parts.engine),
        store=parts.store,
        queue=parts.queue,
        classifier=tiny,
        max_attempts=3,
    )
    first = parts.claim()
    assert backing_off.handle(first) is Outcome.RETRY
    with parts.engine.connect() as conn:
        row = conn.execute(select(jobs.c.available_at, jobs.c.last_error)).one()
    wait = (as_utc(row.available_at) - utc_now()).total_seconds()
    assert 1.0 < wait <= exponential_backoff(1) == 2.0
    assert "connection reset by peer" in row.last_error
    assert parts.queue.claim(timeout=0) is None  # not before the back-off

    worker = parts.worker(tiny, max_attempts=3)  # the same, without waiting
    with parts.engine.begin() as conn:
        conn.execute(jobs.update().values(available_at=utc_now()))
    assert worker.handle(parts.claim()) is Outcome.RETRY
    assert worker.handle(parts.claim()) is Outcome.FAILED
    assert parts.queue.claim(timeout=0) is None
    with pytest.raises(AnalysisFailedError, match=r"could not be read from storage.*gave up after 3 attempts"):
        _label(parts)
    assert parts.row().status == "failed"


def test_a_job_that_met_an_outage_is_retried_and_counted(tmp_path: Path, tiny: Classifier) -> None:
    parts = _parts(tmp_path, FlakyStore(failures=1, error=StorageUnavailableError))
    _upload(parts)
    worker = parts.worker(tiny, max_attempts=1)  # an outage never uses up an attempt
    retries = {"model_version": tiny.version}
    before = REGISTRY.get_sample_value("spotcheck_job_retries_total", retries) or 0.0
    assert worker.handle(parts.claim()) is Outcome.RETRY
    assert REGISTRY.get_sample_value("spotcheck_job_retries_total", retries) == before + 1
    with parts.engine.begin() as conn:
        conn.execute(jobs.update().values(available_at=utc_now()))
    assert worker.handle(parts.claim()) is Outcome.LABELLED


def test_backoff_grows_and_is_capped() -> None:
    assert [exponential_backoff(n) for n in (1, 2, 3, 6, 20)] == [2.0, 4.0, 8.0, 60.0, 60.0]


def test_a_classifier_crash_is_retried_not_leased_forever(parts: Parts, tiny: Classifier) -> None:
    """Before the fix the exception escaped: the job sat "running" until its lease ran out, forever."""
    _upload(parts)
    classifier = CountingClassifier(tiny, fail=1)
    worker = parts.worker(classifier, max_attempts=2)
    assert worker.handle(parts.claim()) is Outcome.RETRY
    assert worker.handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "MALIGNANT"


def test_a_classifier_that_always_crashes_fails_the_image(parts: Parts, tiny: Classifier) -> None:
    _upload(parts)
    worker = parts.worker(CountingClassifier(tiny, fail=100), max_attempts=2)
    assert worker.handle(parts.claim()) is Outcome.RETRY
    assert worker.handle(parts.claim()) is Outcome.FAILED
    with pytest.raises(AnalysisFailedError, match=r"The analysis failed unexpectedly \(RuntimeError\)"):
        _label(parts)


# --- leases -----------------------------------------------------------------------------------


def test_an_expired_lease_lets_another_worker_finish_the_job(tmp_path: Path, tiny: Classifier) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'worker.db'}")
    store = MemoryObjectStore()
    gallery = Gallery(
        engine=engine,
        records=ImageRecords(engine),
        store=store,
        sanitizer=ImageSanitizer(max_pixels=40_000_000, max_concurrent=1),
    )
    owner = AccountService(engine).register(email="ada@example.org", password="correct horse battery").id
    gallery.upload(owner_id=owner, file_name="mole.jpg", data=image_bytes(RED))
    clock = FakeClock()  # after the upload, whose job carries the real time
    short = SqlJobQueue(engine, lease_seconds=60, clock=clock)

    abandoned = short.claim(timeout=0)  # this worker hangs (or its process died)
    assert abandoned is not None
    clock.advance(59)
    assert short.claim(timeout=0) is None
    clock.advance(2)  # the lease has run out
    rescued = short.claim(timeout=0)
    assert rescued is not None and rescued.id == abandoned.id and rescued.attempt == 2
    worker = ClassificationWorker(
        engine=engine, records=ImageRecords(engine), store=store, queue=short, classifier=tiny, max_attempts=3
    )
    assert worker.handle(rescued) is Outcome.LABELLED
    label = gallery.detect(owner_id=owner, file_name="mole.jpg")
    assert label is not None and isinstance(label.assessment, Prediction)
    assert label.assessment.classification == "MALIGNANT"
    # The first worker comes back and handles its stale copy: nothing changes, nothing breaks.
    (before,) = store.list()
    assert worker.handle(abandoned) is Outcome.ALREADY_LABELLED
    assert list(store.list()) == [before]


# --- the photo gate's refusals --------------------------------------------------------------


def test_a_refused_photo_is_stored_as_refused(parts: Parts, gated: Classifier) -> None:
    _upload(parts, GREEN)
    assert parts.worker(gated).handle(parts.claim()) is Outcome.REFUSED
    row = parts.row()
    assert (row.status, row.refusal) == ("refused", "not-a-lesion")
    assert (row.classification, row.malignant_probability, row.error) == (None, None, None)
    assert row.model_version == gated.version and row.classified_at is not None
    (info,) = parts.store.list()
    assert info.metadata["refused"] == "not-a-lesion"
    assert "classification" not in info.metadata and "malignant-probability" not in info.metadata
    label = parts.gallery.detect(owner_id=parts.owner, file_name="mole.jpg")
    assert label is not None and isinstance(label.assessment, Refusal) and label.assessment.reason == "not-a-lesion"
    assert parts.queue.claim(timeout=0) is None  # the job is done, not retried


def test_a_redelivered_job_finds_the_refusal_and_changes_nothing(parts: Parts, gated: Classifier) -> None:
    _upload(parts, GREEN)
    classifier = CountingClassifier(gated)
    worker = parts.worker(classifier)
    assert worker.handle(parts.claim()) is Outcome.REFUSED
    (before,) = parts.store.list()
    row_before = parts.row()

    parts.queue.publish(_event_of(parts))
    assert worker.handle(parts.claim()) is Outcome.ALREADY_LABELLED
    assert list(parts.store.list()) == [before]
    assert parts.row() == row_before
    assert classifier.calls == 1


def test_a_refusal_is_replaced_when_a_usable_photo_is_uploaded_under_its_name(parts: Parts, gated: Classifier) -> None:
    _upload(parts, GREEN)
    worker = parts.worker(gated)
    assert worker.handle(parts.claim()) is Outcome.REFUSED
    _upload(parts, RED)
    assert parts.row().status == "pending" and parts.row().refusal is None
    assert worker.handle(parts.claim()) is Outcome.LABELLED
    row = parts.row()
    assert (row.status, row.classification, row.refusal) == ("done", "MALIGNANT", None)
    (info,) = parts.store.list()
    assert "refused" not in info.metadata and info.metadata["classification"] == "MALIGNANT"


# --- micro-batches --------------------------------------------------------------------------


def _rows_by_name(parts: Parts) -> dict[str, Any]:
    with parts.engine.connect() as conn:
        return {r.file_name: r for r in conn.execute(select(images))}


def test_a_batch_gets_an_outcome_per_job_from_one_classifier_call(parts: Parts, gated: Classifier) -> None:
    for name, colour in (("red.jpg", RED), ("blue.jpg", BLUE), ("green.jpg", GREEN), ("gone.jpg", RED)):
        _upload(parts, colour, name)
    _upload(parts, RED, "twice.jpg")
    _upload(parts, GREEN, "twice.jpg")  # the first upload's job is stale
    gone = next(info.key for info in parts.store.list() if info.key.endswith("/gone.jpg"))
    parts.store.delete(gone)
    batch = [parts.claim() for _ in range(6)]
    assert parts.queue.claim(timeout=0) is None
    rows = _rows_by_name(parts)
    current = {row.upload_id for row in rows.values()}

    def name_of(job: Job) -> str:
        name = job.event.object_key.rsplit("/", 1)[1]
        return name if job.event.upload_id in current else f"old {name}"

    classifier = CountingClassifier(gated)
    outcomes = dict(zip([name_of(job) for job in batch], parts.worker(classifier).handle_batch(batch), strict=True))
    assert outcomes == {
        "red.jpg": Outcome.LABELLED,
        "blue.jpg": Outcome.LABELLED,
        "green.jpg": Outcome.REFUSED,
        "gone.jpg": Outcome.STALE,
        "old twice.jpg": Outcome.STALE,
        "twice.jpg": Outcome.REFUSED,
    }
    assert classifier.batch_sizes == [4]  # one call, with only the images that needed classifying

    rows = _rows_by_name(parts)
    assert (rows["red.jpg"].status, rows["red.jpg"].classification) == ("done", "MALIGNANT")
    assert (rows["blue.jpg"].status, rows["blue.jpg"].classification) == ("done", "BENIGN")
    for name in ("green.jpg", "twice.jpg"):
        assert (rows[name].status, rows[name].refusal, rows[name].classification) == ("refused", "not-a-lesion", None)
    assert rows["gone.jpg"].status == "pending"
    assert parts.queue.claim(timeout=0) is None  # every job settled, none to retry


def _wait_until_none_pending(parts: Parts, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while any(row.status == "pending" for row in _rows_by_name(parts).values()):
        assert time.monotonic() < deadline, "jobs still pending"
        time.sleep(0.05)


def test_a_pool_takes_jobs_already_waiting_as_one_batch(parts: Parts, gated: Classifier) -> None:
    colours = [RED, BLUE, GREEN, RED, GREEN]
    for i, colour in enumerate(colours):
        _upload(parts, colour, f"{i}.jpg")
    classifier = CountingClassifier(gated)
    pool = WorkerPool(parts.worker(classifier), parts.queue, concurrency=1)
    pool.start()
    try:
        _wait_until_none_pending(parts)
    finally:
        pool.stop()
    rows = _rows_by_name(parts)
    expected = {
        RED: ("done", "MALIGNANT", None),
        BLUE: ("done", "BENIGN", None),
        GREEN: ("refused", None, "not-a-lesion"),
    }
    for i, colour in enumerate(colours):
        row = rows[f"{i}.jpg"]
        assert (row.status, row.classification, row.refusal) == expected[colour]
    assert sum(classifier.batch_sizes) == len(colours)
    assert max(classifier.batch_sizes) > 1  # the waiting jobs were classified together
    assert parts.queue.claim(timeout=0) is None


# --- a classifier behind a model server ----------------------------------------------------------


def test_an_unreachable_model_server_is_an_outage_not_a_fault_of_the_photo(parts: Parts) -> None:
    _upload(parts)
    remote = RemoteClassifier(f"http://127.0.0.1:{free_port()}", timeout=5)
    try:
        worker = parts.worker(remote, max_attempts=1)
        assert worker.handle(parts.claim()) is Outcome.RETRY
        assert worker.handle(parts.claim()) is Outcome.RETRY  # never given up on, however often
        assert remote.reachable() is False
    finally:
        remote.close()
    assert parts.row().status == "pending"
    with parts.engine.connect() as conn:
        assert conn.execute(select(jobs.c.last_error)).scalar_one().startswith("outage: model server")


def test_a_pool_claims_nothing_while_the_classifier_is_unreachable(parts: Parts, tiny: Classifier) -> None:
    _upload(parts)
    asked = threading.Semaphore(0)
    reachable = threading.Event()

    def classifier_reachable() -> bool:
        asked.release()
        return reachable.is_set()

    pool = WorkerPool(parts.worker(tiny), parts.queue, concurrency=1, classifier_reachable=classifier_reachable)
    pool.start()
    try:
        for _ in range(2):  # the pool went round its loop at least once while the classifier was away
            assert asked.acquire(timeout=30)
        with parts.engine.connect() as conn:
            assert conn.execute(select(jobs.c.status, jobs.c.attempts)).one() == ("pending", 0)
        reachable.set()
        _wait_until_none_pending(parts)
    finally:
        pool.stop()
    with parts.engine.connect() as conn:
        assert conn.execute(select(jobs.c.attempts)).scalar_one() == 1  # the wait cost the job no attempt
    assert _label(parts) == "MALIGNANT"


# --- photos prepared at upload ---------------------------------------------------------------


def _prepared_for(classifier: Classifier) -> PreparedPhotos:
    assert isinstance(classifier, PreparesPhotos)
    return PreparedPhotos(prepare=classifier.prepare, decode_size=DECODE_SIZE)


def _handing_over(parts: Parts, prepared: PreparedPhotos) -> Gallery:
    """The gallery of ``parts`` as an embedded server builds it: its uploads prepared for the worker."""
    return Gallery(
        engine=parts.engine,
        records=ImageRecords(parts.engine, on_job_committed=parts.queue.wake),
        store=parts.store,
        sanitizer=ImageSanitizer(max_pixels=40_000_000, max_concurrent=1),
        prepared=prepared,
    )


def test_the_worker_labels_the_photo_its_upload_prepared(parts: Parts, tiny: Classifier) -> None:
    prepared = _prepared_for(tiny)
    _handing_over(parts, prepared).upload(owner_id=parts.owner, file_name="mole.jpg", data=image_bytes(RED))
    assert len(prepared) == 1
    assert parts.worker(tiny, prepared=prepared).handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "MALIGNANT"
    assert len(prepared) == 0


def test_the_handed_photo_is_what_the_worker_classifies(parts: Parts, tiny: Classifier) -> None:
    """A blue picture handed over for the red upload is classified instead: the worker did not decode
    the stored copy."""
    prepared = _prepared_for(tiny)
    _upload(parts, RED)
    prepared.put(parts.row().object_key, parts.row().upload_id, Image.new("RGB", (128, 96), BLUE))
    assert parts.worker(tiny, prepared=prepared).handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "BENIGN"


class ReadCountingStore(LocalObjectStore):
    """Notes each read of an object (its header or all of it) and each label written, in order."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[str] = []

    def head(self, key: str) -> ObjectInfo:
        self.calls.append("head")
        return super().head(key)

    def get(self, key: str) -> StoredObject:
        self.calls.append("get")
        return super().get(key)

    def set_metadata(self, key: str, metadata: Mapping[str, str], *, if_match: str | None = None) -> ObjectInfo:
        self.calls.append("label")  # reads the object itself to rewrite it
        return super().set_metadata(key, metadata, if_match=if_match)

    def set_metadata_if(self, key: str, metadata: Mapping[str, str], *, holding: Mapping[str, str]) -> ObjectInfo:
        self.calls.append("label")
        return super().set_metadata_if(key, metadata, holding=holding)


def test_a_handed_photo_spares_reading_the_stored_copy(tmp_path: Path, tiny: Classifier) -> None:
    store = ReadCountingStore(tmp_path / "store")
    parts = _parts(tmp_path, store)
    prepared = _prepared_for(tiny)
    _handing_over(parts, prepared).upload(owner_id=parts.owner, file_name="mole.jpg", data=image_bytes(RED))
    store.calls.clear()
    assert parts.worker(tiny, prepared=prepared).handle(parts.claim()) is Outcome.LABELLED
    assert store.calls[:2] == ["head", "label"]


def test_without_a_handoff_the_worker_reads_the_object_once(tmp_path: Path, tiny: Classifier) -> None:
    store = ReadCountingStore(tmp_path / "store")
    parts = _parts(tmp_path, store)
    _upload(parts, RED)
    store.calls.clear()
    assert parts.worker(tiny).handle(parts.claim()) is Outcome.LABELLED
    assert store.calls[:2] == ["get", "label"]


def test_a_photo_handed_over_for_another_upload_is_not_used(parts: Parts, tiny: Classifier) -> None:
    prepared = _prepared_for(tiny)
    _upload(parts, RED)
    prepared.put(parts.row().object_key, "an earlier upload", Image.new("RGB", (128, 96), BLUE))
    assert parts.worker(tiny, prepared=prepared).handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "MALIGNANT"  # decoded from the store
    assert len(prepared) == 0


def test_without_a_handed_photo_the_worker_decodes_the_stored_copy(parts: Parts, tiny: Classifier) -> None:
    """Another process took the upload (``spotcheck worker``), or the handoff was full or restarted."""
    prepared = _prepared_for(tiny)
    _upload(parts, RED)  # through a gallery that hands nothing over
    assert parts.worker(tiny, prepared=prepared).handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "MALIGNANT"


def test_a_refusal_made_at_upload_is_written_as_the_label(parts: Parts, tiny: Classifier) -> None:
    prepared = PreparedPhotos(
        prepare=lambda photo: Refusal(RefusalReason.TOO_DARK, tiny.version), decode_size=DECODE_SIZE
    )
    _handing_over(parts, prepared).upload(owner_id=parts.owner, file_name="mole.jpg", data=image_bytes(RED))
    assert parts.worker(tiny, prepared=prepared).handle(parts.claim()) is Outcome.REFUSED
    assert parts.row().refusal == RefusalReason.TOO_DARK


def test_photos_are_prepared_at_upload_only_for_a_classifier_that_takes_them(parts: Parts) -> None:
    remote = RemoteClassifier(f"http://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(TypeError, match="prepared"):
        parts.worker(
            remote,
            prepared=PreparedPhotos(
                prepare=lambda photo: np.zeros((150, 200, 3), dtype=np.uint8), decode_size=DECODE_SIZE
            ),
        )


def test_a_replaced_upload_is_labelled_from_its_own_photo(parts: Parts, tiny: Classifier) -> None:
    prepared = _prepared_for(tiny)
    gallery = _handing_over(parts, prepared)
    gallery.upload(owner_id=parts.owner, file_name="mole.jpg", data=image_bytes(RED))
    gallery.upload(owner_id=parts.owner, file_name="mole.jpg", data=image_bytes(BLUE))
    worker = parts.worker(tiny, prepared=prepared)
    assert worker.handle(parts.claim()) is Outcome.STALE
    assert worker.handle(parts.claim()) is Outcome.LABELLED
    assert _label(parts) == "BENIGN"
