"""Photos decoded at upload, handed to the labelling process through files in a private folder.

The cross-process form of ``spotcheck.classifier.handoff.PreparedPhotos``: the server's upload writes
the decode its completeness check made anyway (colour, at the model's scale) as raw pixels under the
upload's id, and the labelling process takes it (reads and deletes the file) instead of reading and
decoding the stored copy. The model's own preparation (the photo gate's checks, the resize) is left
to the labelling process, so the two interpreters share the work. As in-process, this is only a
shortcut: a miss (a full folder, a restart, an unreadable file) means the stored object is decoded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import time
import uuid
from pathlib import Path

from PIL import Image

__all__ = ["DecodedPhotoFiles"]

log = logging.getLogger(__name__)

# A decode at the shipped model's scale is 512x384 RGB (590 KB), so 64 files hold about 38 MB.
_MAX_FILES = 64
# Longer than a job waits unless the labelling process is down; an older file makes room for a new one.
_MAX_AGE_SECONDS = 60.0
_HEADER = struct.Struct(">4sII")  # magic, width, height; then width * height * 3 bytes of RGB
_MAGIC = b"SCD1"
_TEMPORARY = ".tmp-"


class DecodedPhotoFiles:
    """A bounded folder of decoded photos by object key and upload id; each file is taken once.

    Safe to use from many threads and processes: a file appears whole (written aside, then renamed)
    and is taken by whoever deletes it first.
    """

    def __init__(
        self,
        folder: Path,
        *,
        decode_size: tuple[int, int],
        max_files: int = _MAX_FILES,
        max_age_seconds: float = _MAX_AGE_SECONDS,
    ) -> None:
        self.folder = folder
        self.decode_size = decode_size  # the least (width, height) an upload is decoded at
        self._max_files = max_files
        self._max_age = max_age_seconds

    def _path(self, key: str, upload_id: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.{upload_id}"

    def put(self, key: str, upload_id: str, photo: Image.Image) -> bool:
        """Keep ``photo``, the upload ``upload_id`` of ``key`` decoded; False when there is no room."""
        if not self._has_room():
            return False
        rgb = photo if photo.mode == "RGB" else photo.convert("RGB")
        temporary = self.folder / f"{_TEMPORARY}{uuid.uuid4().hex}"
        try:
            with temporary.open("wb") as handle:
                handle.write(_HEADER.pack(_MAGIC, rgb.width, rgb.height))
                handle.write(rgb.tobytes())
            os.replace(temporary, self._path(key, upload_id))
        except OSError as exc:  # a shortcut only: the labelling process decodes the stored copy
            log.warning("could not hand %s to the labelling process: %s", key, exc)
            temporary.unlink(missing_ok=True)
            return False
        return True

    def take(self, key: str, upload_id: str) -> Image.Image | None:
        """The photo kept for upload ``upload_id`` of ``key``, or None; the file is gone either way."""
        path = self._path(key, upload_id)
        try:
            data = path.read_bytes()
            path.unlink()
        except FileNotFoundError:
            return None  # never kept, or taken by another thread
        except OSError as exc:
            log.warning("could not read %s's handed photo: %s", key, exc)
            return None
        if len(data) < _HEADER.size:
            return None
        magic, width, height = _HEADER.unpack_from(data)
        if magic != _MAGIC or len(data) - _HEADER.size != width * height * 3:
            log.warning("ignored a damaged handed photo for %s", key)
            return None
        return Image.frombytes("RGB", (width, height), data[_HEADER.size :])

    def _entries(self) -> list[Path]:
        try:
            return list(self.folder.iterdir())
        except FileNotFoundError:
            return []

    def _has_room(self) -> bool:
        entries = self._entries()
        if len(entries) < self._max_files:
            return True
        # Full: files the labelling process left behind (it stopped, or took the stored copy) age out.
        oldest = time.time() - self._max_age
        for path in entries:
            try:
                if path.stat().st_mtime < oldest:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                continue
        return len(self._entries()) < self._max_files
