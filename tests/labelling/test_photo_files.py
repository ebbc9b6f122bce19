"""Photos decoded at upload, handed to the labelling process through files: whole, once, bounded."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PIL import Image

from spotcheck.labelling.photo_files import DecodedPhotoFiles


def _photo(seed: int, mode: str = "RGB") -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
    return Image.fromarray(pixels).convert(mode)


def _files(folder: Path, *, max_files: int = 64, max_age_seconds: float = 60.0) -> DecodedPhotoFiles:
    folder.mkdir(exist_ok=True)
    return DecodedPhotoFiles(folder, decode_size=(400, 300), max_files=max_files, max_age_seconds=max_age_seconds)


def test_a_photo_comes_back_pixel_for_pixel_once(tmp_path: Path) -> None:
    files = _files(tmp_path / "handoff")
    photo = _photo(1)
    assert files.put("owner/a.jpg", "upload-1", photo)
    taken = files.take("owner/a.jpg", "upload-1")
    assert taken is not None and taken.size == photo.size and taken.mode == "RGB"
    assert np.array_equal(np.asarray(taken), np.asarray(photo))
    assert files.take("owner/a.jpg", "upload-1") is None  # taken once
    assert list(files.folder.iterdir()) == []


def test_a_grey_photo_is_handed_in_colour(tmp_path: Path) -> None:
    files = _files(tmp_path / "handoff")
    grey = _photo(2, mode="L")
    assert files.put("owner/a.jpg", "upload-1", grey)
    taken = files.take("owner/a.jpg", "upload-1")
    assert taken is not None and np.array_equal(np.asarray(taken), np.asarray(grey.convert("RGB")))


def test_another_upload_of_the_same_key_is_not_handed(tmp_path: Path) -> None:
    files = _files(tmp_path / "handoff")
    files.put("owner/a.jpg", "upload-1", _photo(1))
    assert files.take("owner/a.jpg", "upload-2") is None
    assert files.take("owner/b.jpg", "upload-1") is None
    assert files.take("owner/a.jpg", "upload-1") is not None


def test_a_full_folder_keeps_no_more_until_old_files_age_out(tmp_path: Path) -> None:
    files = _files(tmp_path / "handoff", max_files=2, max_age_seconds=60.0)
    assert files.put("k1", "u1", _photo(1))
    assert files.put("k2", "u2", _photo(2))
    assert not files.put("k3", "u3", _photo(3))
    assert files.take("k3", "u3") is None
    old = time.time() - 120
    for path in files.folder.iterdir():
        os.utime(path, (old, old))  # left behind by a labelling process that stopped
    assert files.put("k3", "u3", _photo(3))
    assert files.take("k3", "u3") is not None
    assert files.take("k1", "u1") is None  # aged out


def test_a_damaged_file_is_a_miss_not_a_wrong_photo(tmp_path: Path) -> None:
    files = _files(tmp_path / "handoff")
    files.put("owner/a.jpg", "upload-1", _photo(1))
    (path,) = files.folder.iterdir()
    path.write_bytes(path.read_bytes()[:-5])  # cut short
    assert files.take("owner/a.jpg", "upload-1") is None
    assert list(files.folder.iterdir()) == []


def test_a_missing_folder_is_a_miss_not_an_error(tmp_path: Path) -> None:
    files = DecodedPhotoFiles(tmp_path / "never-made", decode_size=(400, 300))
    assert not files.put("owner/a.jpg", "upload-1", _photo(1))
    assert files.take("owner/a.jpg", "upload-1") is None
