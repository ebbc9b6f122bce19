"""The ingest core on an in-memory store and a real SQLite database: raw objects in, uploads out."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

import pytest

from images import BLUE, RED, image_bytes
from spotcheck.classifier.base import Prediction
from spotcheck.clock import utc_now
from spotcheck.gallery.object_metadata import UPLOAD_ID, UPLOADED_AT
from spotcheck.gallery.records import ImageRecords
from spotcheck.gallery.service import AnalysisFailedError, Gallery, ImageNotFoundError
from spotcheck.images import ImageSanitizer
from spotcheck.ingest import BucketObjectCreated, Ingestor, IngestOutcome, Reconciler
from spotcheck.labelling import ClassificationWorker, Outcome
from spotcheck.runtime import Runtime
from spotcheck.storage import MemoryObjectStore, ObjectNotFoundError
from spotcheck.storage.keys import object_key_for

BUCKET = "photos"
LIMIT = 200_000


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


@pytest.fixture
def gallery(runtime: Runtime, store: MemoryObjectStore) -> Gallery:
    sanitizer = ImageSanitizer(max_pixels=10_000_000, max_concurrent=1)
    return Gallery(engine=runtime.engine, records=ImageRecords(runtime.engine), store=store, sanitizer=sanitizer)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ingestor(runtime: Runtime, store: MemoryObjectStore, gallery: Gallery, clock: Clock) -> Ingestor:
    return Ingestor(
        engine=runtime.engine, store=store, gallery=gallery, bucket=BUCKET, max_upload_bytes=LIMIT, clock=clock
    )


@pytest.fixture
def owner(runtime: Runtime) -> str:
    return runtime.accounts.register(email="ada@example.org", password="correct horse battery").id


def _put_raw(store: MemoryObjectStore, key: str, body: bytes) -> BucketObjectCreated:
    info = store.put(key, body, content_type="image/png", metadata={})
    return BucketObjectCreated(BUCKET, key, info.size, info.etag)


def _worker(runtime: Runtime, store: MemoryObjectStore) -> ClassificationWorker:
    return ClassificationWorker(
        engine=runtime.engine,
        records=ImageRecords(runtime.engine),
        store=store,
        queue=runtime.queue,
        classifier=runtime.classifier,
        max_attempts=3,
    )


def test_a_raw_object_is_cleaned_recorded_labelled_and_never_taken_in_twice(
    runtime: Runtime, store: MemoryObjectStore, gallery: Gallery, ingestor: Ingestor, owner: str
) -> None:
    key = object_key_for(owner, "mole.png")
    event = _put_raw(store, key, image_bytes(RED, fmt="PNG"))

    assert ingestor.handle(event) is IngestOutcome.RECORDED
    cleaned = store.get(key)
    assert cleaned.info.content_type == "image/jpeg" and cleaned.body.startswith(b"\xff\xd8")
    assert UPLOAD_ID in cleaned.info.metadata
    assert gallery.detect(owner_id=owner, file_name="mole.png") is None  # pending: its job is queued
    # The cleaned re-write raises an event of its own: it starts nothing.
    assert ingestor.handle(event) is IngestOutcome.ALREADY_RECORDED

    job = runtime.queue.claim(timeout=0)
    assert job is not None and job.event.object_key == key
    assert _worker(runtime, store).handle(job) is Outcome.LABELLED
    labelled = store.head(key)
    # ... and so does the label, written onto the object by a copy in place.
    assert ingestor.handle(event) is IngestOutcome.ALREADY_RECORDED
    assert store.head(key) == labelled
    assert runtime.queue.claim(timeout=0) is None
    label = gallery.detect(owner_id=owner, file_name="mole.png")
    assert label is not None and isinstance(label.assessment, Prediction)
    assert label.assessment.classification.value == "MALIGNANT"


def test_a_raw_object_over_an_earlier_upload_is_a_new_upload(
    runtime: Runtime, store: MemoryObjectStore, gallery: Gallery, ingestor: Ingestor, owner: str
) -> None:
    gallery.upload(owner_id=owner, file_name="mole.jpg", data=image_bytes(RED))
    first = store.head(object_key_for(owner, "mole.jpg")).metadata[UPLOAD_ID]
    event = _put_raw(store, object_key_for(owner, "mole.jpg"), image_bytes(BLUE, fmt="PNG"))
    assert ingestor.handle(event) is IngestOutcome.RECORDED
    assert store.head(event.key).metadata[UPLOAD_ID] != first


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"%PDF-1.7 not a photo", "JPEG"),
        (image_bytes(RED, size=(40, 40)), "96"),
        (b"\x89PNG" + b"x" * LIMIT, "larger than the limit"),
    ],
    ids=["not-an-image", "too-small", "too-large"],
)
def test_an_object_failing_the_upload_hygiene_is_removed_and_its_reason_kept(
    store: MemoryObjectStore, gallery: Gallery, ingestor: Ingestor, owner: str, body: bytes, says: str
) -> None:
    event = _put_raw(store, object_key_for(owner, "mole.jpg"), body)
    assert ingestor.handle(event) is IngestOutcome.REJECTED
    with pytest.raises(ObjectNotFoundError):
        store.head(event.key)
    with pytest.raises(AnalysisFailedError, match=says):
        gallery.detect(owner_id=owner, file_name="mole.jpg")


def test_objects_that_are_no_upload_are_left_alone(store: MemoryObjectStore, ingestor: Ingestor, owner: str) -> None:
    body = image_bytes(RED)
    for key in (
        "elsewhere/mole.jpg",
        "users/not-a-uuid/mole.jpg",
        f"users/{owner}/nested/mole.jpg",
        f"users/{owner}/..",
    ):
        assert ingestor.handle(_put_raw(store, key, body)) is IngestOutcome.IGNORED, key
        assert store.get(key).body == body
    other_bucket = BucketObjectCreated("another-bucket", object_key_for(owner, "mole.jpg"))
    assert ingestor.handle(other_bucket) is IngestOutcome.IGNORED
    assert ingestor.handle(BucketObjectCreated(BUCKET, object_key_for(owner, "gone.jpg"))) is IngestOutcome.GONE


def test_an_object_of_an_account_that_no_longer_exists_is_removed(
    runtime: Runtime, store: MemoryObjectStore, ingestor: Ingestor, owner: str
) -> None:
    nobody = "0c4f9ad0-0b6b-4a57-8a59-3b0b9b3f2e11"
    for key in (object_key_for(nobody, "mole.jpg"), f"users/{nobody}/nested/x.jpg"):
        assert ingestor.handle(_put_raw(store, key, image_bytes(RED))) is IngestOutcome.ORPHANED
        with pytest.raises(ObjectNotFoundError):
            store.head(key)
    runtime.accounts.delete(user_id=owner)
    key = object_key_for(owner, "after-deletion.jpg")
    assert ingestor.handle(_put_raw(store, key, image_bytes(RED))) is IngestOutcome.ORPHANED
    assert list(store.list("users/")) == []


def test_a_direct_upload_beyond_the_photo_quota_is_refused_and_removed(
    runtime: Runtime, store: MemoryObjectStore, owner: str
) -> None:
    sanitizer = ImageSanitizer(max_pixels=10_000_000, max_concurrent=1)
    records = ImageRecords(runtime.engine)
    gallery = Gallery(engine=runtime.engine, records=records, store=store, sanitizer=sanitizer, max_photos=1)
    ingestor = Ingestor(engine=runtime.engine, store=store, gallery=gallery, bucket=BUCKET, max_upload_bytes=LIMIT)
    gallery.upload(owner_id=owner, file_name="first.jpg", data=image_bytes(RED))
    key = object_key_for(owner, "second.jpg")
    assert ingestor.handle(_put_raw(store, key, image_bytes(BLUE))) is IngestOutcome.REJECTED
    with pytest.raises(ObjectNotFoundError):
        store.head(key)
    with pytest.raises(AnalysisFailedError, match="the most it may keep"):
        gallery.detect(owner_id=owner, file_name="second.jpg")


def test_the_reconciliation_sweeps_the_prefixes_of_deleted_accounts(
    runtime: Runtime, store: MemoryObjectStore, ingestor: Ingestor, gallery: Gallery, owner: str
) -> None:
    gone = runtime.accounts.register(email="grace@example.org", password="correct horse battery").id
    gallery.upload(owner_id=owner, file_name="kept.jpg", data=image_bytes(RED))
    for name in ("a.jpg", "b.png", "nested/c.jpg", "thumbnails/a.jpg"):
        store.put(f"users/{gone}/{name}", image_bytes(BLUE), content_type="image/jpeg", metadata={})
    runtime.accounts.delete(user_id=gone)
    reconciler = Reconciler(engine=runtime.engine, store=store, bucket=BUCKET, handle=ingestor.handle)
    assert reconciler.run_once()[IngestOutcome.ORPHANED] == 4
    assert [info.key for info in store.list("users/")] == [object_key_for(owner, "kept.jpg")]


def test_a_spotcheck_object_waits_for_its_row_then_is_removed_after_the_grace(
    store: MemoryObjectStore, gallery: Gallery, ingestor: Ingestor, owner: str, clock: Clock
) -> None:
    # What an API upload leaves behind that crashed between writing the object and committing its
    # row, or whose write the store finished after the API had answered 503: its client was never
    # told the photo was stored, so it is not classified unasked.
    key = object_key_for(owner, "mole.jpg")
    metadata = {UPLOAD_ID: "an-upload-never-committed", UPLOADED_AT: clock.now.isoformat()}
    store.put(key, image_bytes(RED), content_type="image/jpeg", metadata=metadata)
    event = BucketObjectCreated(BUCKET, key)
    assert ingestor.handle(event) is IngestOutcome.IN_FLIGHT
    clock.now += timedelta(minutes=2)
    assert ingestor.handle(event) is IngestOutcome.ABANDONED
    assert list(store.list("users/")) == []
    with pytest.raises(ImageNotFoundError):
        gallery.summary(owner_id=owner, file_name="mole.jpg")


def test_a_cut_short_write_over_a_recorded_image_is_taken_in(
    store: MemoryObjectStore, gallery: Gallery, ingestor: Ingestor, owner: str, clock: Clock
) -> None:
    # The old photo's bytes are gone under the new write: keeping the new ones keeps row and object together.
    gallery.upload(owner_id=owner, file_name="mole.jpg", data=image_bytes(BLUE))
    key = object_key_for(owner, "mole.jpg")
    metadata = {UPLOAD_ID: "a-replacement-never-committed", UPLOADED_AT: clock.now.isoformat()}
    store.put(key, image_bytes(RED), content_type="image/jpeg", metadata=metadata)
    clock.now += timedelta(minutes=2)
    assert ingestor.handle(BucketObjectCreated(BUCKET, key)) is IngestOutcome.RECORDED
    assert gallery.summary(owner_id=owner, file_name="mole.jpg").status == "pending"


def test_a_key_not_in_nfc_is_recorded_under_its_nfc_name(
    store: MemoryObjectStore, gallery: Gallery, ingestor: Ingestor, owner: str
) -> None:
    decomposed = unicodedata.normalize("NFD", "grain de beauté.jpg")
    event = _put_raw(store, f"users/{owner}/{decomposed}", image_bytes(RED))
    assert ingestor.handle(event) is IngestOutcome.RECORDED
    assert [info.key for info in store.list("users/")] == [object_key_for(owner, "grain de beauté.jpg")]
    assert gallery.summary(owner_id=owner, file_name="grain de beauté.jpg").status == "pending"


def test_reconciliation_takes_in_objects_whose_events_were_lost(
    runtime: Runtime, store: MemoryObjectStore, gallery: Gallery, ingestor: Ingestor, owner: str
) -> None:
    reconciler = Reconciler(engine=runtime.engine, store=store, bucket=BUCKET, handle=ingestor.handle)
    gallery.upload(owner_id=owner, file_name="api.jpg", data=image_bytes(BLUE))
    _put_raw(store, object_key_for(owner, "lost.png"), image_bytes(RED, fmt="PNG"))
    _put_raw(store, "elsewhere/x.png", image_bytes(RED, fmt="PNG"))

    assert reconciler.run_once() == {IngestOutcome.RECORDED: 1}
    assert gallery.summary(owner_id=owner, file_name="lost.png").status == "pending"
    assert reconciler.run_once() == {}
    # A raw object written over a recorded one is found by a deep pass only.
    _put_raw(store, object_key_for(owner, "api.jpg"), image_bytes(RED, fmt="PNG"))
    assert reconciler.run_once() == {}
    assert reconciler.run_once(deep=True) == {IngestOutcome.RECORDED: 1, IngestOutcome.ALREADY_RECORDED: 1}
