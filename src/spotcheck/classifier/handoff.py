"""Photos prepared for the model at upload, handed to the in-process worker so it does not decode them again.

The upload's completeness check decodes every byte of a JPEG anyway; done in colour at the model's
scale, the same decode is the worker's input. The upload's thread also does the model's work on
each photo before its pass (the photo gate's own checks, the resize to the model's input), so under
a burst that work runs on the uploads' threads beside the worker, which is left the pass itself.
The handoff is only a shortcut: the stored object stays the source of truth. An entry stands for one
upload (its upload id, which only that upload's object carries), and a miss (a full handoff, another
process's upload, a restart) means the worker reads and decodes the stored copy as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from spotcheck.classifier.base import PreparedPhoto, Refusal

__all__ = ["PhotoHandoff", "PreparedPhotos"]

log = logging.getLogger(__name__)

# The shipped model's input is 200x150x3 bytes (90 KB), so 32 MiB holds about 370 photos waiting
# for the worker.
_MAX_BYTES = 32 * 2**20
# Longer than a job waits in the queue unless the worker has stopped or another process takes the
# jobs; an entry left behind then makes room for new ones.
_MAX_AGE_SECONDS = 60.0
_REFUSAL_BYTES = 256


class PhotoHandoff(Protocol):
    """Where an upload leaves its decode for the worker: ``PreparedPhotos`` in this process, or
    ``spotcheck.labelling.photo_files.DecodedPhotoFiles`` for a labelling process of its own."""

    @property
    def decode_size(self) -> tuple[int, int]:
        """The least (width, height) an upload is decoded at."""
        ...

    def put(self, key: str, upload_id: str, photo: Image.Image) -> bool: ...

    def take(self, key: str, upload_id: str) -> PreparedPhoto | Image.Image | None: ...


def _size_of(prepared: PreparedPhoto) -> int:
    return _REFUSAL_BYTES if isinstance(prepared, Refusal) else prepared.nbytes


@dataclass(frozen=True, slots=True)
class _Entry:
    upload_id: str
    prepared: PreparedPhoto
    size: int
    added: float


class PreparedPhotos:
    """A bounded, thread-safe store of prepared photos by object key; each entry is taken once.

    When full, a new photo is not kept (the ones already waiting are the worker's next jobs);
    entries older than ``max_age_seconds`` are dropped to make room.
    """

    def __init__(
        self,
        *,
        prepare: Callable[[Image.Image], PreparedPhoto],
        decode_size: tuple[int, int],
        max_bytes: int = _MAX_BYTES,
        max_age_seconds: float = _MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.decode_size = decode_size  # the least (width, height) an upload is decoded at
        self._prepare = prepare
        self._max_bytes = max_bytes
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}  # insertion order is age order
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def put(self, key: str, upload_id: str, photo: Image.Image) -> bool:
        """Prepare ``photo``, the upload ``upload_id`` of ``key`` decoded, and keep it; False when there is no room."""
        try:
            prepared = self._prepare(photo)  # in the caller's thread, outside the lock
        except Exception:  # a shortcut only: the worker prepares the stored copy, and reports a fault
            log.exception("could not prepare %s at upload; the worker will read it from the store", key)
            return False
        entry = _Entry(upload_id, prepared, _size_of(prepared), self._monotonic())
        with self._lock:
            self._drop(key)
            self._drop_expired(entry.added)
            if self._bytes + entry.size > self._max_bytes:
                return False
            self._entries[key] = entry
            self._bytes += entry.size
            return True

    def take(self, key: str, upload_id: str) -> PreparedPhoto | None:
        """The photo kept for ``key`` if it is upload ``upload_id``'s; the entry is gone either way."""
        with self._lock:
            entry = self._drop(key)
        if entry is None or entry.upload_id != upload_id:
            return None
        return entry.prepared

    def _drop(self, key: str) -> _Entry | None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size
        return entry

    def _drop_expired(self, now: float) -> None:
        for key, entry in list(self._entries.items()):
            if now - entry.added < self._max_age:
                break  # the rest are younger
            self._drop(key)
