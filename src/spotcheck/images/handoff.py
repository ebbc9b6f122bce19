"""Photos decoded at upload, handed to the in-process worker so it does not decode them again.

The upload's completeness check decodes every byte of a JPEG anyway; done in colour at the
model's scale, the same decode is the worker's input. The handoff is only a shortcut: the stored
object stays the source of truth. An entry is used only for the very bytes it was decoded from
(their digest), and a miss (a full handoff, another process's upload, a restart) means the worker
reads and decodes the stored copy as before.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

__all__ = ["DecodedPhotos"]

# A 2048x1536 upload decodes at 512x384 for the shipped model: 0.75 MiB (Pillow keeps RGB in 4 bytes
# a pixel), so 96 MiB holds about 128 photos waiting for the worker.
_MAX_BYTES = 96 * 2**20
# Longer than a job waits in the queue unless the worker has stopped or another process takes the
# jobs; an entry left behind then makes room for new ones.
_MAX_AGE_SECONDS = 60.0


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _size_of(image: Image.Image) -> int:
    return image.width * image.height * 4


@dataclass(frozen=True, slots=True)
class _Entry:
    digest: bytes
    image: Image.Image
    size: int
    added: float


class DecodedPhotos:
    """A bounded, thread-safe store of decoded photos by object key; each entry is taken once.

    When full, a new photo is not kept (the ones already waiting are the worker's next jobs);
    entries older than ``max_age_seconds`` are dropped to make room.
    """

    def __init__(
        self,
        *,
        decode_size: tuple[int, int],
        max_bytes: int = _MAX_BYTES,
        max_age_seconds: float = _MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.decode_size = decode_size  # the least (width, height) the worker decodes a photo at
        self._max_bytes = max_bytes
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}  # insertion order is age order
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def put(self, key: str, data: bytes, image: Image.Image) -> bool:
        """Keep ``image``, decoded from ``data`` (the object's bytes), for ``key``; False when there is no room."""
        entry = _Entry(_digest(data), image, _size_of(image), self._monotonic())
        with self._lock:
            self._drop(key)
            self._drop_expired(entry.added)
            if self._bytes + entry.size > self._max_bytes:
                return False
            self._entries[key] = entry
            self._bytes += entry.size
            return True

    def take(self, key: str, data: bytes) -> Image.Image | None:
        """The photo kept for ``key`` if it was decoded from exactly ``data``; the entry is gone either way."""
        with self._lock:
            entry = self._drop(key)
        if entry is None or entry.digest != _digest(data):
            return None
        return entry.image

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
