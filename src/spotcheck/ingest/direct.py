"""Direct uploads: a client sends a photo straight to the bucket with a short-lived signed form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from spotcheck.images import validate_file_name
from spotcheck.storage.base import ObjectStore
from spotcheck.storage.keys import object_key_for

__all__ = ["UPLOAD_FORM_SECONDS", "DirectUpload", "DirectUploads", "DirectUploadsUnavailableError"]

# Long enough to send 15 MB over a slow phone connection, short enough that a leaked form is soon useless.
UPLOAD_FORM_SECONDS = 600


class DirectUploadsUnavailableError(Exception):
    """This deployment's store cannot sign uploads (the local backend)."""


@dataclass(frozen=True, slots=True)
class DirectUpload:
    file_name: str
    object_key: str
    url: str
    fields: Mapping[str, str]
    expires_at: datetime


class DirectUploads:
    def __init__(self, *, store: ObjectStore, max_upload_bytes: int) -> None:
        self._store = store
        self._max_bytes = max_upload_bytes

    def grant(self, *, owner_id: str, file_name: str) -> DirectUpload:
        """A signed POST form for the owner's ``file_name`` only, the size limit enforced by the store."""
        file_name = validate_file_name(file_name)
        signer = self._store.upload_signer
        if signer is None:
            raise DirectUploadsUnavailableError(
                "Direct uploads need the S3 storage backend (SPOTCHECK_STORAGE_BACKEND=s3) and its bucket "
                "events; this server keeps images on its own disk. Upload with PUT /images/{fileName} instead."
            )
        key = object_key_for(owner_id, file_name)
        form = signer.presign_upload(key, max_bytes=self._max_bytes, expires_in_seconds=UPLOAD_FORM_SECONDS)
        return DirectUpload(file_name, key, form.url, form.fields, form.expires_at)
