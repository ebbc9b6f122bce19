"""The bucket's key layout: where SpotCheck keeps each account's uploads and their renditions.

``users/{owner_id}/{fileName}`` holds uploads (and only uploads: anything created there is taken
for one); ``thumbnails/{owner_id}/{fileName}`` holds small renditions, outside ``users/`` so that
nothing announces them to the labelling workers.
"""

from __future__ import annotations

import uuid

__all__ = ["USERS_PREFIX", "object_key_for", "owner_of", "owner_prefix", "thumbnail_key_for"]

USERS_PREFIX = "users/"
_THUMBNAILS_PREFIX = "thumbnails/"


def owner_prefix(owner_id: str) -> str:
    """The prefix under which every upload of one account lies."""
    return f"{USERS_PREFIX}{owner_id}/"


def object_key_for(owner_id: str, file_name: str) -> str:
    return f"{owner_prefix(owner_id)}{file_name}"


def thumbnail_key_for(owner_id: str, file_name: str) -> str:
    """Where an image's small rendition is cached."""
    return f"{_THUMBNAILS_PREFIX}{owner_id}/{file_name}"


def owner_of(key: str) -> str | None:
    """The account id of a key under ``users/{owner_id}/``, whatever follows; None for any other key."""
    if not key.startswith(USERS_PREFIX):
        return None
    owner_id, slash, _ = key.removeprefix(USERS_PREFIX).partition("/")
    try:
        return owner_id if slash and str(uuid.UUID(owner_id)) == owner_id else None
    except ValueError:
        return None
