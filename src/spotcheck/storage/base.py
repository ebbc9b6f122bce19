"""The object store interface: the part of S3 that SpotCheck needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

__all__ = [
    "MetadataCompareAndSet",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "PreconditionFailedError",
    "PresignedUpload",
    "StagedObject",
    "StagesWrites",
    "StorageError",
    "StorageUnavailableError",
    "StoredObject",
    "UploadSigner",
]


class StorageError(Exception):
    """The store failed (unreachable, refused, corrupt)."""


class StorageUnavailableError(StorageError):
    """The store did not answer in time or refused the connection: try again shortly."""


class ObjectNotFoundError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no object {key!r}")
        self.key = key


class PreconditionFailedError(StorageError):
    """The object changed since it was read (its ETag no longer matches)."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredObject:
    info: ObjectInfo
    body: bytes


class ObjectStore(Protocol):
    """User metadata keys are lower-case ASCII and values ASCII strings, as in S3."""

    def put(self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]) -> ObjectInfo: ...

    def get(self, key: str) -> StoredObject: ...

    def head(self, key: str) -> ObjectInfo: ...

    def set_metadata(self, key: str, metadata: Mapping[str, str], *, if_match: str | None = None) -> ObjectInfo:
        """Replace the user metadata, keeping the body; fail if ``if_match`` is not the current ETag."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def check(self) -> None:
        """Raise ``StorageError`` unless the store answers; reads only, for readiness probes."""

    @property
    def upload_signer(self) -> UploadSigner | None:
        """What lets a client upload one object itself (S3's presigned forms); None where the store cannot."""
        ...

    def remove_stale_temporaries(self) -> int:
        """Delete what writes cut short by a crash left behind; how many. 0 where writes are atomic (S3)."""
        ...


@runtime_checkable
class MetadataCompareAndSet(Protocol):
    """A store that checks an object's metadata and replaces it in one step (the local disk, memory; not S3).

    S3 can only make a write conditional on the ETag, and an object re-uploaded with the same bytes
    keeps its ETag: there the caller must keep other writers out itself.
    """

    def set_metadata_if(self, key: str, metadata: Mapping[str, str], *, holding: Mapping[str, str]) -> ObjectInfo:
        """Replace the user metadata, keeping the body, only while it holds every pair of ``holding``.

        Raises ``PreconditionFailedError`` when it does not, ``ObjectNotFoundError`` without the object.
        """
        ...


class StagedObject(Protocol):
    """An object written but not yet visible."""

    def publish(self) -> ObjectInfo:
        """Make it the object under its key, replacing any before it in one step."""
        ...


@runtime_checkable
class StagesWrites(Protocol):
    """A store that can write an object's bytes ahead and publish them later in a moment (the local disk).

    A caller that must publish while it holds a lock (a database row's) keeps the slow part out of it.
    """

    def staging(
        self, key: str, body: bytes, *, content_type: str, metadata: Mapping[str, str]
    ) -> AbstractContextManager[StagedObject]:
        """Write the object aside on entry; on exit make a published one durable, or drop an unpublished one."""
        ...


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """An HTML-form POST straight to the store: send ``fields`` and then the file as field ``file``."""

    url: str
    fields: Mapping[str, str]
    expires_at: datetime


class UploadSigner(Protocol):
    """A store that can let a client upload one object itself, without the credentials (S3)."""

    def presign_upload(self, key: str, *, max_bytes: int, expires_in_seconds: int) -> PresignedUpload:
        """A POST form for ``key`` only, valid ``expires_in_seconds``; the store refuses bodies over ``max_bytes``."""
        ...
