"""Object storage: an interface and its implementations (local disk, S3, memory)."""

from spotcheck.storage.base import (
    MetadataCompareAndSet,
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    PreconditionFailedError,
    PresignedUpload,
    StagedObject,
    StagesWrites,
    StorageError,
    StorageUnavailableError,
    StoredObject,
    UploadSigner,
)
from spotcheck.storage.local import LocalObjectStore
from spotcheck.storage.memory import MemoryObjectStore
from spotcheck.storage.s3 import S3ObjectStore

__all__ = [
    "LocalObjectStore",
    "MemoryObjectStore",
    "MetadataCompareAndSet",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "PreconditionFailedError",
    "PresignedUpload",
    "S3ObjectStore",
    "StagedObject",
    "StagesWrites",
    "StorageError",
    "StorageUnavailableError",
    "StoredObject",
    "UploadSigner",
]
