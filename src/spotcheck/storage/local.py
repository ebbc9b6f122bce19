"""Objects as single files on the local disk: body and metadata together, written atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from spotcheck.storage.base import (
    ObjectInfo,
    ObjectNotFoundError,
    PreconditionFailedError,
    StagedObject,
    StorageError,
    StoredObject,
    UploadSigner,
)

__all__ = ["LocalObjectStore"]

# File layout: MAGIC, 4-byte big-endian header length, JSON header, body.
_MAGIC = b"SPOTCHK1"
_LENGTH = struct.Struct(">I")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalObjectStore:
    """One file per object, named by the SHA-256 of its key, so any key is a safe file name.

    Every write goes to a temporary file in the same folder, is fsynced and renamed over the
    old one: a reader or a crash sees the old object or the new one, never a mix. The writes of
    every process on the folder take turns on one lock, held only to check and rename: the
    fsyncs run outside it.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        self._objects = root / "objects"
        self._objects.mkdir(parents=True, exist_ok=True)
        self._lock_path = root / "objects.lock"
        self._lock_path.touch(exist_ok=True)

    def _path(self, key: str) -> Path:
        return self._objects / hashlib.sha256(key.encode()).hexdigest()

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        with self._lock_path.open("rb") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def _staged(self, info: ObjectInfo, body: bytes) -> Iterator[_StagedFile]:
        """A fsynced temporary file holding the object; removed on exit unless it was renamed into place."""
        header = json.dumps(
            {"key": info.key, "etag": info.etag, "content_type": info.content_type, "metadata": dict(info.metadata)}
        ).encode()
        fd, temporary = tempfile.mkstemp(dir=self._objects, prefix=".tmp-")
        staged = _StagedFile(self, info, Path(temporary))
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_MAGIC + _LENGTH.pack(len(header)) + header)
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            yield staged
        finally:
            if staged.published:
                _fsync_dir(self._objects)  # the rename, durable
            else:
                staged.path.unlink(missing_ok=True)

    def _publish(self, staged: _StagedFile) -> None:
        with self._write_lock():
            self._rename_into_place(staged)

    def _rename_into_place(self, staged: _StagedFile) -> None:
        """Under the write lock."""
        os.replace(staged.path, self._path(staged.info.key))
        staged.published = True

    @staticmethod
    def _read_header(handle: BinaryIO, path: Path) -> tuple[dict[str, object], int]:
        prefix = handle.read(len(_MAGIC) + _LENGTH.size)
        if len(prefix) != len(_MAGIC) + _LENGTH.size or not prefix.startswith(_MAGIC):
            raise StorageError(f"{path} is not a SpotCheck object file")
        (length,) = _LENGTH.unpack(prefix[len(_MAGIC) :])
        header = json.loads(handle.read(length))
        return header, len(prefix) + length

    @staticmethod
    def _parse_header(header: dict[str, object], size: int) -> ObjectInfo:
        metadata = header["metadata"]
        if not isinstance(metadata, dict):
            raise StorageError(f"corrupt header for {header.get('key')!r}")
        return ObjectInfo(
            key=str(header["key"]),
            size=size,
            etag=str(header["etag"]),
            content_type=str(header["content_type"]),
            metadata={str(k): str(v) for k, v in metadata.items()},
        )

    def _info(self, path: Path) -> ObjectInfo:
        with path.open("rb") as handle:
            header, offset = self._read_header(handle, path)
        return self._parse_header(header, path.stat().st_size - offset)

    @contextmanager
    def staging(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> Iterator[StagedObject]:
        info = ObjectInfo(key, len(body), hashlib.md5(body).hexdigest(), content_type, dict(metadata))
        with self._staged(info, body) as staged:
            yield staged

    def put(self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]) -> ObjectInfo:
        with self.staging(key, body, content_type=content_type, metadata=metadata) as staged:
            return staged.publish()

    def get(self, key: str) -> StoredObject:
        path = self._path(key)
        try:
            with path.open("rb") as handle:
                header, _ = self._read_header(handle, path)
                body = handle.read()
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None
        return StoredObject(self._parse_header(header, len(body)), body)

    def head(self, key: str) -> ObjectInfo:
        try:
            return self._info(self._path(key))
        except FileNotFoundError:
            raise ObjectNotFoundError(key) from None

    def set_metadata(self, key: str, metadata: Mapping[str, str], *, if_match: str | None = None) -> ObjectInfo:
        current = self.get(key)
        if if_match is not None and current.info.etag != if_match:
            raise PreconditionFailedError(f"{key!r} changed (ETag {current.info.etag}, expected {if_match})")
        return self._replace_metadata(current, metadata, if_match=if_match)

    def set_metadata_if(self, key: str, metadata: Mapping[str, str], *, holding: Mapping[str, str]) -> ObjectInfo:
        current = self.get(key)
        if any(current.info.metadata.get(name) != value for name, value in holding.items()):
            raise PreconditionFailedError(f"{key!r} changed: its metadata no longer holds {dict(holding)}")
        return self._replace_metadata(current, metadata, if_match=current.info.etag)

    def _replace_metadata(self, read: StoredObject, metadata: Mapping[str, str], *, if_match: str | None) -> ObjectInfo:
        """The object as ``read`` with new metadata, unless it changed since; then again, or fail with ``if_match``."""
        while True:
            info = ObjectInfo(read.info.key, read.info.size, read.info.etag, read.info.content_type, dict(metadata))
            with self._staged(info, read.body) as staged, self._write_lock():
                if self.head(read.info.key) == read.info:  # every write renames a new file into place
                    self._rename_into_place(staged)
                    return info
            if if_match is not None:
                raise PreconditionFailedError(f"{read.info.key!r} changed while its metadata was being replaced")
            read = self.get(read.info.key)

    def delete(self, key: str) -> None:
        with self._write_lock():
            self._path(key).unlink(missing_ok=True)
        _fsync_dir(self._objects)

    def check(self) -> None:
        if not os.access(self._objects, os.R_OK | os.W_OK | os.X_OK):
            raise StorageError(f"the object folder {self._objects} is missing or not readable and writable")

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        infos = []
        for path in self._objects.iterdir():
            if path.name.startswith(".tmp-"):
                continue
            try:
                info = self._info(path)
            except FileNotFoundError:
                continue  # deleted while listing
            if info.key.startswith(prefix):
                infos.append(info)
        yield from sorted(infos, key=lambda i: i.key)

    @property
    def upload_signer(self) -> UploadSigner | None:
        return None  # a client cannot reach this host's disk

    def remove_stale_temporaries(self) -> int:
        """Delete temporary files a crash left behind; returns how many."""
        removed = 0
        for path in self._objects.glob(".tmp-*"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed


class _StagedFile:
    def __init__(self, store: LocalObjectStore, info: ObjectInfo, path: Path) -> None:
        self._store = store
        self.info = info
        self.path = path
        self.published = False

    def publish(self) -> ObjectInfo:
        self._store._publish(self)
        return self.info
