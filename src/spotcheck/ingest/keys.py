"""Which user and fileName an object key belongs to: the inverse of ``gallery.object_key_for``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from spotcheck.gallery.service import object_key_for
from spotcheck.images import InvalidFileNameError, validate_file_name

__all__ = ["USERS_PREFIX", "UploadTarget", "owner_of", "upload_target"]

USERS_PREFIX = "users/"


@dataclass(frozen=True, slots=True)
class UploadTarget:
    owner_id: str
    file_name: str  # NFC, valid by the upload naming rules

    @property
    def object_key(self) -> str:
        """Where SpotCheck keeps this upload (differs from the event's key when that was not NFC)."""
        return object_key_for(self.owner_id, self.file_name)


def owner_of(key: str) -> str | None:
    """The account id of a key under ``users/{owner_id}/``, whatever follows; None for any other key."""
    if not key.startswith(USERS_PREFIX):
        return None
    owner_id, slash, _ = key.removeprefix(USERS_PREFIX).partition("/")
    try:
        return owner_id if slash and str(uuid.UUID(owner_id)) == owner_id else None
    except ValueError:
        return None


def upload_target(key: str) -> UploadTarget | None:
    """``users/{owner_id}/{fileName}`` -> its owner and fileName; None for any other key."""
    owner_id = owner_of(key)
    if owner_id is None:
        return None
    try:
        return UploadTarget(owner_id, validate_file_name(key.removeprefix(f"{USERS_PREFIX}{owner_id}/")))
    except InvalidFileNameError:
        return None
