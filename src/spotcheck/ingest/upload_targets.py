"""Which user and fileName an upload's object key names: the inverse of ``storage.keys.object_key_for``."""

from __future__ import annotations

from dataclasses import dataclass

from spotcheck.images import InvalidFileNameError, validate_file_name
from spotcheck.storage.keys import object_key_for, owner_of, owner_prefix

__all__ = ["UploadTarget", "upload_target"]


@dataclass(frozen=True, slots=True)
class UploadTarget:
    owner_id: str
    file_name: str  # NFC, valid by the upload naming rules

    @property
    def object_key(self) -> str:
        """Where SpotCheck keeps this upload (differs from the event's key when that was not NFC)."""
        return object_key_for(self.owner_id, self.file_name)


def upload_target(key: str) -> UploadTarget | None:
    """``users/{owner_id}/{fileName}`` -> its owner and fileName; None for any other key."""
    owner_id = owner_of(key)
    if owner_id is None:
        return None
    try:
        return UploadTarget(owner_id, validate_file_name(key.removeprefix(owner_prefix(owner_id))))
    except InvalidFileNameError:
        return None
