"""Object storage: an interface and its implementations (local disk, S3, memory)."""

from spotcheck.config import Settings
from spotcheck.storage.base import (
    ObjectInfo,
    ObjectNotFoundError,
    ObjectStore,
    PreconditionFailedError,
    PresignedUpload,
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
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "PreconditionFailedError",
    "PresignedUpload",
    "S3ObjectStore",
    "StorageError",
    "StorageUnavailableError",
    "StoredObject",
    "UploadSigner",
    "open_store",
]


def open_store(settings: Settings) -> ObjectStore:
    if settings.storage_backend == "s3":
        secret = settings.s3_secret_access_key
        return S3ObjectStore(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret else None,
            create_bucket=settings.s3_create_bucket,
            connect_timeout=settings.s3_connect_timeout_seconds,
            read_timeout=settings.s3_read_timeout_seconds,
            max_attempts=settings.s3_max_attempts,
        )
    return LocalObjectStore(settings.data_dir)
