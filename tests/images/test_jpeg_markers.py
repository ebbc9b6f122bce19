"""The JPEG marker walk: scans counted without decoding, metadata dropped without touching a pixel."""

from __future__ import annotations

import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from images import scan_bomb
from spotcheck.images import DecodeTimeoutError, ImageSanitizer, UnusualJpegError, sanitize_image
from spotcheck.images.jpeg_markers import read_layout, without_metadata
from spotcheck.images.sanitize import MAX_JPEG_SCANS

SECRET = b"GPS 51.5N 0.12W Ada Lovelace"


def _photo(size: tuple[int, int] = (320, 240), **options: object) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=90, **options)
    return out.getvalue()


def _with_metadata(**options: object) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode()  # Make
    exif[0x0112] = 1  # upright
    return _photo(exif=exif.tobytes(), comment=SECRET, **options)


def _pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


@pytest.mark.parametrize(("progressive", "scans"), [(False, 1), (True, 10)])
def test_scans_are_counted_from_the_markers(progressive: bool, scans: int) -> None:
    layout = read_layout(_photo(progressive=progressive))
    assert (layout.scans, layout.complete, layout.plain) == (scans, True, True)


def test_counting_stops_just_past_the_limit() -> None:
    assert read_layout(scan_bomb(repeats=5_000), max_scans=100).scans == 101


@pytest.mark.parametrize("progressive", [False, True])
def test_metadata_goes_and_every_pixel_stays(progressive: bool) -> None:
    source = _with_metadata(progressive=progressive) + b"trailing bytes after the picture " + SECRET
    assert source.count(SECRET) >= 3
    stripped = without_metadata(source, read_layout(source))
    assert SECRET not in stripped
    assert _pixels(stripped) == _pixels(source)


def test_an_upright_ordinary_jpeg_keeps_its_pixels_without_metadata() -> None:
    source = _with_metadata()
    stored = sanitize_image(source, max_pixels=40_000_000).jpeg
    assert SECRET not in stored and b"Exif" not in stored
    assert _pixels(stored) == _pixels(source)  # no second lossy encoding


def test_a_rotated_jpeg_is_still_turned_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    stored = sanitize_image(_photo((320, 240), exif=exif.tobytes()), max_pixels=40_000_000)
    with Image.open(io.BytesIO(stored.jpeg)) as upright:
        assert upright.size == (240, 320)
    assert b"Exif" not in stored.jpeg


def test_a_scan_bomb_is_refused_before_any_decode() -> None:
    with pytest.raises(UnusualJpegError, match=r"unusual way.*ordinary JPEG") as refused:
        sanitize_image(scan_bomb(), max_pixels=40_000_000)
    assert f"more than {MAX_JPEG_SCANS} scans" in str(refused.value)


def test_a_decode_over_its_budget_frees_its_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    import spotcheck.images.sanitize as sanitize_module

    real = sanitize_module.decoded_to_fit
    stuck = threading.Event()

    def slow_then_real(*args: object, **kwargs: object) -> Image.Image:
        if not stuck.is_set():
            stuck.set()
            time.sleep(5.0)  # a decode that runs far over the budget below
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sanitize_module, "decoded_to_fit", slow_then_real)
    sanitizer = ImageSanitizer(max_pixels=40_000_000, max_concurrent=1, budget_seconds=1.0)
    png = io.BytesIO()
    Image.new("RGB", (200, 150), (200, 40, 40)).save(png, format="PNG")
    with pytest.raises(DecodeTimeoutError, match=r"took longer than 1 s"):
        sanitizer.clean(png.getvalue())
    # The only slot is free again although the abandoned decode still sleeps.
    with Image.open(io.BytesIO(sanitizer.clean(png.getvalue()).jpeg)) as stored:
        assert stored.size == (200, 150)
