"""An in-memory object store for fast unit tests."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping

from spotcheck.storage.base import ObjectInfo, ObjectNotFoundError, PreconditionFailedError, StoredObject, UploadSigner

__all__ = ["MemoryObjectStore"]


class MemoryObjectStore:
    def __init__(self) -> None:
        self._objects: dict[str, StoredObject] = {}
        self._lock = threading.Lock()

    def put(self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]) -> ObjectInfo:
        info = ObjectInfo(key, len(body), hashlib.md5(body).hexdigest(), content_type, dict(metadata))
        with self._lock:
            self._objects[key] = StoredObject(info, bytes(body))
        return info

    def get(self, key: str) -> StoredObject:
        with self._lock:
            try:
                return self._objects[key]
            except KeyError:
                raise ObjectNotFoundError(key) from None

    def head(self, key: str) -> ObjectInfo:
        return self.get(key).info

    def set_metadata(self, key: str, metadata: Mapping[str, str], *, if_match: str | None = None) -> ObjectInfo:
        with self._lock:
            current = self._current(key)
            if if_match is not None and current.info.etag != if_match:
                raise PreconditionFailedError(f"{key!r} changed")
            return self._rewrite(current, metadata)

    def set_metadata_if(self, key: str, metadata: Mapping[str, str], *, holding: Mapping[str, str]) -> ObjectInfo:
        with self._lock:
            current = self._current(key)
            if any(current.info.metadata.get(name) != value for name, value in holding.items()):
                raise PreconditionFailedError(f"{key!r} changed")
            return self._rewrite(current, metadata)

    def _current(self, key: str) -> StoredObject:
        current = self._objects.get(key)
        if current is None:
            raise ObjectNotFoundError(key)
        return current

    def _rewrite(self, current: StoredObject, metadata: Mapping[str, str]) -> ObjectInfo:
        info = ObjectInfo(
            current.info.key, current.info.size, current.info.etag, current.info.content_type, dict(metadata)
        )
        self._objects[info.key] = StoredObject(info, current.body)
        return info

    def delete(self, key: str) -> None:
        with self._lock:
            self._objects.pop(key, None)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        with self._lock:
            infos = [o.info for k, o in sorted(self._objects.items()) if k.startswith(prefix)]
        yield from infos

    def check(self) -> None:
        return None

    @property
    def upload_signer(self) -> UploadSigner | None:
        return None

    def remove_stale_temporaries(self) -> int:
        return 0
