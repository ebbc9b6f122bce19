"""The ``ObjectStore`` contract, checked against every implementation (see ``store`` in conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotcheck.storage import (
    LocalObjectStore,
    MemoryObjectStore,
    MetadataCompareAndSet,
    ObjectNotFoundError,
    ObjectStore,
    PreconditionFailedError,
    S3ObjectStore,
)
from spotcheck.storage.staging import staged_put

KEY = "users/u-1/mole.jpg"
BODY = b"\xff\xd8\xff first body \x00\x01 bytes"
OTHER_BODY = b"\xff\xd8\xff a different body"

# Names users may give their images: spaces, non-ASCII, and the characters URLs, S3 copy
# sources and file systems treat specially. (Not here: empty, "." or ".." path segments and
# backslashes, which SeaweedFS refuses or folds into other keys; file names cannot contain them.)
AWKWARD_KEYS = [
    "users/u-1/mole 1 (copy).jpg",
    "users/u-1/grain de beauté ü.jpg",
    "users/u-1/ほくろ.jpg",
    "users/u-1/a+b%20c&d=e?f#g;h,i@j.jpg",
    'users/u-1/~tilde\'s "quoted" [x] {y} <z> `w` $v.jpg',
    "users/u-1/.hidden...jpg",
    "users/u-1/" + "x" * 200 + ".jpg",
]


def test_put_then_get_and_head_round_trip(store: ObjectStore) -> None:
    put = store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1", "uploaded-at": "t0"})
    assert (put.key, put.size, put.content_type) == (KEY, len(BODY), "image/jpeg")
    assert put.etag and not put.etag.startswith('"')

    stored = store.get(KEY)
    assert stored.body == BODY
    head = store.head(KEY)
    for info in (stored.info, head):
        assert info.key == KEY
        assert info.size == len(BODY)
        assert info.etag == put.etag
        assert info.content_type == "image/jpeg"
        assert dict(info.metadata) == {"upload-id": "u1", "uploaded-at": "t0"}


def test_put_replaces_body_content_type_and_all_metadata(store: ObjectStore) -> None:
    first = store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1", "classification": "BENIGN"})
    second = store.put(KEY, OTHER_BODY, content_type="image/png", metadata={"upload-id": "u2"})
    assert second.etag != first.etag
    stored = store.get(KEY)
    assert stored.body == OTHER_BODY
    assert stored.info.content_type == "image/png"
    assert dict(stored.info.metadata) == {"upload-id": "u2"}


def test_an_empty_body_is_an_object(store: ObjectStore) -> None:
    store.put(KEY, b"", content_type="image/jpeg", metadata={})
    assert store.get(KEY).body == b""
    assert store.head(KEY).size == 0


def test_set_metadata_replaces_metadata_and_keeps_body(store: ObjectStore) -> None:
    put = store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1", "uploaded-at": "t0"})
    label = {"upload-id": "u1", "classification": "MALIGNANT", "malignant-probability": "0.910000"}

    updated = store.set_metadata(KEY, label, if_match=put.etag)

    assert dict(updated.metadata) == label
    stored = store.get(KEY)
    assert stored.body == BODY
    assert stored.info.content_type == "image/jpeg"
    assert dict(stored.info.metadata) == label  # "uploaded-at" is gone: replaced, not merged
    assert stored.info.etag == updated.etag


def test_set_metadata_without_a_precondition(store: ObjectStore) -> None:
    store.put(KEY, BODY, content_type="image/jpeg", metadata={"a": "1"})
    store.set_metadata(KEY, {"b": "2"})
    assert dict(store.head(KEY).metadata) == {"b": "2"}
    assert store.get(KEY).body == BODY


def test_set_metadata_returns_the_current_etag(store: ObjectStore) -> None:
    """A second change can be conditioned on the ETag the first one returned."""
    put = store.put(KEY, BODY, content_type="image/jpeg", metadata={})
    first = store.set_metadata(KEY, {"n": "1"}, if_match=put.etag)
    store.set_metadata(KEY, {"n": "2"}, if_match=first.etag)
    assert dict(store.head(KEY).metadata) == {"n": "2"}


def test_set_metadata_with_a_stale_etag_fails_and_changes_nothing(store: ObjectStore) -> None:
    old = store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1"})
    store.put(KEY, OTHER_BODY, content_type="image/jpeg", metadata={"upload-id": "u2"})

    with pytest.raises(PreconditionFailedError):
        store.set_metadata(KEY, {"upload-id": "u1", "classification": "BENIGN"}, if_match=old.etag)

    stored = store.get(KEY)
    assert stored.body == OTHER_BODY
    assert dict(stored.info.metadata) == {"upload-id": "u2"}


def test_set_metadata_with_an_unknown_etag_fails(store: ObjectStore) -> None:
    store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1"})
    with pytest.raises(PreconditionFailedError):
        store.set_metadata(KEY, {"classification": "BENIGN"}, if_match="0" * 32)
    assert dict(store.head(KEY).metadata) == {"upload-id": "u1"}


@pytest.mark.parametrize("operation", ["get", "head", "set_metadata", "set_metadata_if_match"])
def test_a_missing_key_raises_object_not_found(store: ObjectStore, operation: str) -> None:
    store.put("users/u-1/other.jpg", BODY, content_type="image/jpeg", metadata={})
    with pytest.raises(ObjectNotFoundError) as caught:
        if operation == "get":
            store.get(KEY)
        elif operation == "head":
            store.head(KEY)
        elif operation == "set_metadata":
            store.set_metadata(KEY, {"a": "b"})
        else:
            store.set_metadata(KEY, {"a": "b"}, if_match="0" * 32)
    assert caught.value.key == KEY
    assert [info.key for info in store.list()] == ["users/u-1/other.jpg"]  # nothing created


def test_delete_removes_the_object_and_is_idempotent(store: ObjectStore) -> None:
    store.put(KEY, BODY, content_type="image/jpeg", metadata={})
    store.put("users/u-1/kept.jpg", BODY, content_type="image/jpeg", metadata={})

    store.delete(KEY)
    with pytest.raises(ObjectNotFoundError):
        store.head(KEY)
    store.delete(KEY)
    store.delete("users/never/existed.jpg")

    assert [info.key for info in store.list()] == ["users/u-1/kept.jpg"]


def test_list_filters_by_prefix_in_key_order(store: ObjectStore) -> None:
    bodies = {
        "users/a/2.jpg": b"two",
        "users/a/1.jpg": b"one",
        "users/ab/3.jpg": b"three",
        "users/b/1.jpg": b"four!",
    }
    etags = {key: store.put(key, body, content_type="image/jpeg", metadata={}).etag for key, body in bodies.items()}

    listed = list(store.list("users/a/"))
    assert [info.key for info in listed] == ["users/a/1.jpg", "users/a/2.jpg"]
    assert [(info.size, info.etag) for info in listed] == [(3, etags["users/a/1.jpg"]), (3, etags["users/a/2.jpg"])]
    assert [info.key for info in store.list("users/a")] == ["users/a/1.jpg", "users/a/2.jpg", "users/ab/3.jpg"]
    assert [info.key for info in store.list()] == sorted(bodies)
    assert list(store.list("users/c/")) == []


def test_list_of_an_empty_store(store: ObjectStore) -> None:
    assert list(store.list()) == []


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_awkward_keys_work_in_every_operation(store: ObjectStore, key: str) -> None:
    put = store.put(key, BODY, content_type="image/jpeg", metadata={"upload-id": "u1"})
    assert store.get(key).body == BODY
    assert store.head(key).key == key

    store.set_metadata(key, {"classification": "BENIGN"}, if_match=put.etag)
    assert dict(store.head(key).metadata) == {"classification": "BENIGN"}
    assert [info.key for info in store.list("users/u-1/")] == [key]

    store.delete(key)
    with pytest.raises(ObjectNotFoundError):
        store.get(key)


def test_keys_differing_only_in_case_or_trailing_space_are_different_objects(store: ObjectStore) -> None:
    keys = ["users/u-1/Mole.jpg", "users/u-1/mole.jpg", "users/u-1/mole.jpg "]
    for index, key in enumerate(keys):
        store.put(key, f"body {index}".encode(), content_type="image/jpeg", metadata={})
    assert [store.get(key).body for key in keys] == [b"body 0", b"body 1", b"body 2"]


def test_only_a_bucket_signs_uploads_and_no_store_starts_with_stale_temporaries(store: ObjectStore) -> None:
    store.put(KEY, BODY, content_type="image/jpeg", metadata={})
    assert (store.upload_signer is not None) == isinstance(store, S3ObjectStore)
    assert store.remove_stale_temporaries() == 0
    assert store.get(KEY).body == BODY


def test_only_a_store_that_checks_and_writes_in_one_step_offers_metadata_compare_and_set(store: ObjectStore) -> None:
    assert isinstance(store, MetadataCompareAndSet) != isinstance(store, S3ObjectStore)


@pytest.fixture(params=["memory", "local"])
def checking_store(request: pytest.FixtureRequest, tmp_path: Path) -> LocalObjectStore | MemoryObjectStore:
    """Each store that checks metadata and replaces it in one step (S3 cannot), empty."""
    return MemoryObjectStore() if request.param == "memory" else LocalObjectStore(tmp_path / "store")


def test_set_metadata_if_writes_while_the_metadata_holds_the_values(
    checking_store: LocalObjectStore | MemoryObjectStore,
) -> None:
    store = checking_store
    put = store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1", "uploaded-at": "t0"})
    label = {"upload-id": "u1", "uploaded-at": "t0", "classification": "BENIGN"}
    written = store.set_metadata_if(KEY, label, holding={"upload-id": "u1"})
    assert (written.etag, dict(written.metadata)) == (put.etag, label)
    stored = store.get(KEY)
    assert (stored.body, dict(stored.info.metadata), stored.info.content_type) == (BODY, label, "image/jpeg")


def test_set_metadata_if_refuses_an_object_that_holds_another_upload_of_the_same_bytes(
    checking_store: LocalObjectStore | MemoryObjectStore,
) -> None:
    store = checking_store
    store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1"})
    store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u2"})  # same ETag
    with pytest.raises(PreconditionFailedError):
        store.set_metadata_if(KEY, {"upload-id": "u1", "classification": "BENIGN"}, holding={"upload-id": "u1"})
    assert dict(store.head(KEY).metadata) == {"upload-id": "u2"}


def test_set_metadata_if_refuses_metadata_without_the_name(
    checking_store: LocalObjectStore | MemoryObjectStore,
) -> None:
    store = checking_store
    store.put(KEY, BODY, content_type="image/jpeg", metadata={})
    with pytest.raises(PreconditionFailedError):
        store.set_metadata_if(KEY, {"classification": "BENIGN"}, holding={"upload-id": "u1"})
    assert dict(store.head(KEY).metadata) == {}


def test_set_metadata_if_on_a_missing_key_raises_object_not_found(
    checking_store: LocalObjectStore | MemoryObjectStore,
) -> None:
    store = checking_store
    with pytest.raises(ObjectNotFoundError):
        store.set_metadata_if(KEY, {"a": "b"}, holding={"upload-id": "u1"})
    assert list(store.list()) == []


def test_a_staged_put_replaces_the_object_when_published(store: ObjectStore) -> None:
    store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1"})
    with staged_put(store, KEY, OTHER_BODY, content_type="image/jpeg", metadata={"upload-id": "u2"}) as staged:
        published = staged.publish()
    stored = store.get(KEY)
    assert (stored.body, dict(stored.info.metadata)) == (OTHER_BODY, {"upload-id": "u2"})
    assert published.etag == stored.info.etag


def test_a_staged_put_never_published_leaves_the_object_as_it_was(store: ObjectStore) -> None:
    store.put(KEY, BODY, content_type="image/jpeg", metadata={"upload-id": "u1"})
    with (
        pytest.raises(RuntimeError),
        staged_put(store, KEY, OTHER_BODY, content_type="image/jpeg", metadata={"upload-id": "u2"}),
    ):
        raise RuntimeError("the row's transaction failed")
    stored = store.get(KEY)
    assert (stored.body, dict(stored.info.metadata)) == (BODY, {"upload-id": "u1"})
    assert [info.key for info in store.list()] == [KEY]
