"""Publishing an object at a chosen moment, on any store: staged ahead where the store can, put then elsewhere."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from spotcheck.storage.base import ObjectInfo, ObjectStore, StagedObject, StagesWrites

__all__ = ["staged_put"]


@dataclass(frozen=True, slots=True)
class _PutWhenPublished:
    """For a store that cannot stage (S3, memory): the whole put happens at ``publish``."""

    store: ObjectStore
    key: str
    body: bytes
    content_type: str
    metadata: Mapping[str, str]

    def publish(self) -> ObjectInfo:
        return self.store.put(self.key, self.body, content_type=self.content_type, metadata=self.metadata)


@contextmanager
def staged_put(
    store: ObjectStore, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]
) -> Iterator[StagedObject]:
    """An object that becomes ``key``'s when ``publish`` is called inside the ``with``, and only then."""
    if isinstance(store, StagesWrites):
        with store.staging(key, body, content_type=content_type, metadata=metadata) as staged:
            yield staged
    else:
        yield _PutWhenPublished(store, key, body, content_type, metadata)
