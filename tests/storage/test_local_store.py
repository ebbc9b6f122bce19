"""``LocalObjectStore`` beyond the contract: crash safety and file naming."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from spotcheck.storage import LocalObjectStore, ObjectNotFoundError, PreconditionFailedError, StorageError, StoredObject

KEY = "users/u-1/mole.jpg"
OLD = b"old body " * 100
NEW = b"new body " * 100


def _objects(root: Path) -> list[str]:
    return sorted(path.name for path in (root / "objects").iterdir())


def test_objects_survive_reopening(tmp_path: Path) -> None:
    LocalObjectStore(tmp_path).put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    reopened = LocalObjectStore(tmp_path).get(KEY)
    assert reopened.body == OLD
    assert dict(reopened.info.metadata) == {"upload-id": "u1"}


def test_a_crash_before_the_rename_leaves_the_old_object_and_a_temporary(tmp_path: Path) -> None:
    """A real process dies (``os._exit``, no clean-up runs) between writing and renaming."""
    store = LocalObjectStore(tmp_path)
    store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    crash = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from spotcheck.storage import local

        def die(*_args):
            os._exit(17)

        local.os.replace = die
        local.LocalObjectStore(Path({str(tmp_path)!r})).put({KEY!r}, {NEW!r}, content_type="image/png", metadata={{}})
        """
    )
    result = subprocess.run([sys.executable, "-c", crash], capture_output=True, timeout=60, check=False)
    assert result.returncode == 17, result.stderr.decode()

    leftovers = [name for name in _objects(tmp_path) if name.startswith(".tmp-")]
    assert len(leftovers) == 1
    assert (tmp_path / "objects" / leftovers[0]).stat().st_size > len(NEW)  # the new object, fully written
    assert store.get(KEY).body == OLD
    assert [info.key for info in store.list()] == [KEY]

    assert store.remove_stale_temporaries() == 1
    assert not [name for name in _objects(tmp_path) if name.startswith(".tmp-")]
    assert store.get(KEY).body == OLD
    assert store.remove_stale_temporaries() == 0


def test_a_temporary_file_is_not_listed(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put(KEY, OLD, content_type="image/jpeg", metadata={})
    (tmp_path / "objects" / ".tmp-abc123").write_bytes(b"SPOTCHK1 half a header")
    assert [info.key for info in store.list()] == [KEY]
    assert store.remove_stale_temporaries() == 1
    assert _objects(tmp_path) == [_only_object_name(tmp_path)]


def _only_object_name(root: Path) -> str:
    (name,) = [n for n in _objects(root) if not n.startswith(".")]
    return name


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_put_keeps_the_old_object_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    store = LocalObjectStore(tmp_path)
    store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    before = _objects(tmp_path)

    def fail(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        store.put(KEY, NEW, content_type="image/png", metadata={"upload-id": "u2"})
    monkeypatch.undo()

    stored = store.get(KEY)
    assert stored.body == OLD
    assert (stored.info.content_type, dict(stored.info.metadata)) == ("image/jpeg", {"upload-id": "u1"})
    assert _objects(tmp_path) == before


def test_a_failed_set_metadata_keeps_the_old_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalObjectStore(tmp_path)
    put = store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})

    def fail(*_args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        store.set_metadata(KEY, {"upload-id": "u1", "classification": "BENIGN"}, if_match=put.etag)
    monkeypatch.undo()

    assert dict(store.head(KEY).metadata) == {"upload-id": "u1"}
    assert store.get(KEY).body == OLD
    assert not [name for name in _objects(tmp_path) if name.startswith(".tmp-")]


@pytest.mark.parametrize(
    "key",
    [
        "../../outside.jpg",
        "/etc/passwd",
        "users/u-1/../../../escape",
        "a\\b\\..\\c",
        "nul\x00byte",
        "new\nline",
        ".",
        "..",
        "",
        "CON",
        "ünïcödé ほくろ",
        "x" * 5000,
    ],
)
def test_any_key_maps_to_a_safe_file_inside_the_store(tmp_path: Path, key: str) -> None:
    root = tmp_path / "store"
    store = LocalObjectStore(root)
    store.put(key, b"body", content_type="image/jpeg", metadata={})

    assert store.get(key).body == b"body"
    assert [info.key for info in store.list()] == [key]
    (name,) = _objects(root)
    assert re.fullmatch(r"[0-9a-f]{64}", name)
    files = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert files == sorted([f"store/objects/{name}", "store/objects.lock"])


def test_a_file_that_is_not_an_object_is_reported_not_misread(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put(KEY, OLD, content_type="image/jpeg", metadata={})
    (tmp_path / "objects" / _only_object_name(tmp_path)).write_bytes(b"not a spotcheck object")
    with pytest.raises(StorageError, match="not a SpotCheck object file"):
        store.get(KEY)
    with pytest.raises(ObjectNotFoundError):
        store.get("users/u-1/other.jpg")


def _temporaries(root: Path) -> list[str]:
    return [name for name in _objects(root) if name.startswith(".tmp-")]


def test_a_staged_object_is_written_aside_and_visible_only_once_published(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    with store.staging(KEY, NEW, content_type="image/jpeg", metadata={"upload-id": "u2"}) as staged:
        assert len(_temporaries(tmp_path)) == 1  # written (and fsynced) already
        assert store.get(KEY).body == OLD
        staged.publish()
        assert store.get(KEY).body == NEW
    assert _temporaries(tmp_path) == []
    assert dict(store.head(KEY).metadata) == {"upload-id": "u2"}


def test_a_staged_object_never_published_is_dropped(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    with pytest.raises(RuntimeError), store.staging(KEY, NEW, content_type="image/jpeg", metadata={}):
        raise RuntimeError("the row's transaction failed")
    assert _temporaries(tmp_path) == []
    assert store.get(KEY).body == OLD


class PutBetweenReadAndWrite(LocalObjectStore):
    """Another writer replaces the object right after this store's first read of it."""

    def __init__(self, root: Path, body: bytes, metadata: dict[str, str]) -> None:
        super().__init__(root)
        self._meanwhile: tuple[bytes, dict[str, str]] | None = (body, metadata)

    def get(self, key: str) -> StoredObject:
        stored = super().get(key)
        if self._meanwhile is not None:
            body, metadata = self._meanwhile
            self._meanwhile = None
            self.put(key, body, content_type="image/jpeg", metadata=metadata)
        return stored


def test_a_label_for_an_upload_replaced_meanwhile_is_refused_even_with_the_same_bytes(tmp_path: Path) -> None:
    """The metadata is rewritten with a copy of the body, outside the lock: the copy must not undo a newer upload."""
    store = PutBetweenReadAndWrite(tmp_path, OLD, {"upload-id": "u2"})
    store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    with pytest.raises(PreconditionFailedError):
        store.set_metadata_if(KEY, {"upload-id": "u1", "classification": "BENIGN"}, holding={"upload-id": "u1"})
    assert dict(store.head(KEY).metadata) == {"upload-id": "u2"}
    assert _temporaries(tmp_path) == []


def test_an_etag_conditional_metadata_write_fails_when_the_object_was_rewritten_meanwhile(tmp_path: Path) -> None:
    store = PutBetweenReadAndWrite(tmp_path, OLD, {"upload-id": "u2"})
    put = store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    with pytest.raises(PreconditionFailedError):
        store.set_metadata(KEY, {"upload-id": "u1", "classification": "BENIGN"}, if_match=put.etag)
    assert dict(store.head(KEY).metadata) == {"upload-id": "u2"}


def test_an_unconditional_metadata_write_applies_to_the_object_that_replaced_the_one_read(tmp_path: Path) -> None:
    store = PutBetweenReadAndWrite(tmp_path, NEW, {"upload-id": "u2"})
    store.put(KEY, OLD, content_type="image/jpeg", metadata={"upload-id": "u1"})
    store.set_metadata(KEY, {"note": "kept"})
    stored = store.get(KEY)
    assert (stored.body, dict(stored.info.metadata)) == (NEW, {"note": "kept"})
    assert _temporaries(tmp_path) == []
