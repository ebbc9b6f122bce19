"""Sanitising uploads: modes, sizes, truncation, formats and metadata, on real encoders' output."""

from __future__ import annotations

import io
import struct
import threading
import time

import numpy as np
import pytest
from PIL import Image, ImageFile, PngImagePlugin

from spotcheck.images import (
    CorruptImageError,
    ImageSanitizer,
    ImageTooLargeError,
    ImageTooSmallError,
    UnsupportedMediaError,
    sanitize_image,
)
from spotcheck.images.decode import DECODER_ERRORS

MAX_PIXELS = 40_000_000
SECRET = b"GPS 51.5N 0.12W Ada Lovelace"


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _clean(data: bytes) -> Image.Image:
    stored = sanitize_image(data, max_pixels=MAX_PIXELS).jpeg
    image = Image.open(io.BytesIO(stored))
    image.load()
    return image


def _jpeg_segments(data: bytes) -> list[int]:
    """The marker of every segment before the scan data (APPn, COM, DQT, ...)."""
    assert data[:2] == b"\xff\xd8"
    markers, at = [], 2
    while True:
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return markers
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length


# --- modes ----------------------------------------------------------------------------------


def test_16_bit_greyscale_png_keeps_its_tones() -> None:
    ramp = np.tile(np.linspace(0, 65535, 256).astype(np.uint16), (128, 1))
    source = Image.fromarray(ramp)
    assert source.mode == "I;16"
    stored = np.asarray(_clean(_encode(source, "PNG")).convert("L"), dtype=np.float64)
    assert stored[:, :8].mean() < 20 and stored[:, -8:].mean() > 235  # dark to light, not all white
    assert 100 < stored.mean() < 155


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("I", 40_000, 155),  # a 16-bit range held in a 32-bit mode
        ("I", 200, 200),  # an 8-bit range held in a 32-bit mode
        ("F", 0.5, 128),  # a 0..1 float image
    ],
)
def test_wide_modes_are_scaled_not_clipped(mode: str, value: float, expected: int) -> None:
    from spotcheck.images.modes import flatten_to_rgb, to_resizable

    rgb = flatten_to_rgb(to_resizable(Image.new(mode, (100, 100), value)))
    assert rgb.mode == "RGB"
    red = rgb.getpixel((50, 50))
    assert isinstance(red, tuple) and abs(red[0] - expected) <= 1


def test_palette_with_transparency_is_laid_on_white() -> None:
    image = Image.new("P", (128, 128), 0)
    image.putpalette([200, 0, 0, 0, 0, 200] + [0] * 762)
    image.paste(1, (64, 0, 128, 128))
    data = _encode(image, "PNG", transparency=0)
    pixels = _clean(data).convert("RGB")
    left, right = pixels.getpixel((16, 64)), pixels.getpixel((110, 64))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert min(left) > 240  # the transparent half is white, not the palette's red or black
    assert right[2] > 180 and right[0] < 40


def test_grey_with_alpha_is_laid_on_white() -> None:
    image = Image.new("LA", (128, 128), (0, 0))
    pixel = _clean(_encode(image, "PNG")).convert("RGB").getpixel((64, 64))
    assert isinstance(pixel, tuple) and min(pixel) > 240


def test_cmyk_jpeg_becomes_rgb_of_the_same_colour() -> None:
    cyan = Image.new("CMYK", (128, 128), (255, 0, 0, 0))
    pixel = _clean(_encode(cyan, "JPEG", quality=95)).getpixel((64, 64))
    assert isinstance(pixel, tuple) and pixel[0] < 40 and pixel[1] > 215 and pixel[2] > 215


# --- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (5000, 3000)), ("PNG", (3000, 5000)), ("WEBP", (4000, 2100))])
def test_stored_copy_is_capped_at_2048_on_the_long_side(fmt: str, size: tuple[int, int]) -> None:
    source = Image.linear_gradient("L").resize(size).convert("RGB")
    stored = _clean(_encode(source, fmt))
    assert max(stored.size) == 2048
    assert abs(stored.width / stored.height - size[0] / size[1]) < 0.01


def test_small_images_keep_their_size() -> None:
    assert _clean(_encode(Image.new("RGB", (300, 200), (10, 200, 10)), "PNG")).size == (300, 200)


@pytest.mark.parametrize("size", [(95, 400), (400, 95), (1, 1), (65_501, 1)])
def test_under_the_minimum_side_is_refused_naming_it(size: tuple[int, int]) -> None:
    data = _encode(Image.new("RGB", size), "PNG")
    with pytest.raises(ImageTooSmallError, match=r"its shorter side must be at least 96 pixels") as refused:
        sanitize_image(data, max_pixels=MAX_PIXELS)
    assert f"{size[0]}x{size[1]}" in str(refused.value)


def test_very_wide_image_is_stored_not_a_server_error() -> None:
    """Past 65,500 px the JPEG writer fails; the stored copy is capped long before that."""
    stored = _clean(_encode(Image.new("RGB", (65_501, 96), (90, 60, 40)), "PNG"))
    assert stored.width == 2048


def test_pixel_limit_is_checked_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _encode(Image.new("1", (8000, 6000)), "PNG")

    def no_decoding(*_args: object) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ImageTooLargeError, match=r"8000x6000 pixels \(48,000,000\); at most 40,000,000"):
        sanitize_image(data, max_pixels=MAX_PIXELS)


# --- damage ---------------------------------------------------------------------------------


def _noise(size: tuple[int, int]) -> Image.Image:
    return Image.fromarray(np.random.default_rng(7).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def test_jpeg_truncated_behind_a_large_header_is_refused() -> None:
    """Header 6000x6000, 3.7 KB of data, then an end marker: libjpeg would fill the rest with grey."""
    whole = _encode(Image.linear_gradient("L").resize((6000, 6000)), "JPEG", quality=80)
    forged = whole[:3700] + b"\xff\xd9"
    with pytest.raises(CorruptImageError, match=r"damaged or incomplete and cannot be read as JPEG"):
        sanitize_image(forged, max_pixels=MAX_PIXELS)


def test_jpeg_cut_short_is_refused() -> None:
    whole = _encode(_noise((400, 300)), "JPEG")
    with pytest.raises(CorruptImageError):
        sanitize_image(whole[: len(whole) * 2 // 3], max_pixels=MAX_PIXELS)


def _corrupt_heic() -> bytes:
    data = bytearray(_encode(_noise((200, 160)), "HEIF"))
    middle = len(data) // 2
    data[middle : middle + 400] = bytes(400)
    return bytes(data[: middle + 600])


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_corrupt_heic(), id="corrupt-heic"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(200), id="png-signature-only"),
        pytest.param(_encode(_noise((200, 160)), "WEBP")[:300], id="truncated-webp"),
    ],
)
def test_decoder_errors_are_plain_messages(data: bytes) -> None:
    with pytest.raises(CorruptImageError) as refused:
        sanitize_image(data, max_pixels=MAX_PIXELS)
    message = str(refused.value)
    assert message.startswith("The image is damaged or incomplete and cannot be read")
    assert " at 0x" not in message and "<" not in message and "Error" not in message


def test_runtime_errors_count_as_decoder_errors() -> None:
    assert RuntimeError in DECODER_ERRORS  # pillow-heif's answer to a corrupt HEIC


# --- formats --------------------------------------------------------------------------------


def test_avif_is_not_accepted() -> None:
    with pytest.raises(UnsupportedMediaError, match=r"looks like image/avif\. Send a JPEG, PNG, WebP or HEIC image\."):
        sanitize_image(_encode(Image.new("RGB", (128, 128)), "AVIF"), max_pixels=MAX_PIXELS)


def test_heic_is_accepted() -> None:
    assert _clean(_encode(Image.new("RGB", (160, 128), (200, 30, 30)), "HEIF")).size == (160, 128)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_an_animated_image_is_stored_as_its_first_frame(fmt: str) -> None:
    first, second = Image.new("RGB", (160, 128), (200, 30, 30)), Image.new("RGB", (160, 128), (30, 30, 200))
    animated = _encode(first, fmt, save_all=True, append_images=[second], lossless=True)
    assert Image.open(io.BytesIO(animated)).n_frames == 2  # an APNG, or an animated WebP
    red, _, blue = _clean(animated).getpixel((80, 64))
    assert red > 180 and blue < 60


# --- metadata -------------------------------------------------------------------------------


def _xmp() -> bytes:
    return b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description GPSLatitude="' + SECRET + b'"/></x:xmpmeta>'


def _icc() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return bytes(profile.tobytes())


def test_jpeg_comment_xmp_icc_and_exif_are_not_stored() -> None:
    exif = Image.Exif()
    exif[0x010F] = SECRET.decode()  # Make
    source = _encode(_noise((160, 120)), "JPEG", comment=SECRET, xmp=_xmp(), icc_profile=_icc(), exif=exif.tobytes())
    assert source.count(SECRET) >= 3  # the test file really carries them
    stored = sanitize_image(source, max_pixels=MAX_PIXELS).jpeg
    assert SECRET not in stored
    assert set(_jpeg_segments(stored)) <= {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDA}  # JFIF, tables, frame, scan
    for mark in (b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"xmpmeta"):
        assert mark not in stored


def test_png_text_chunks_and_profile_are_not_stored() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET.decode())
    info.add_text("Location", SECRET.decode(), zip=True)
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode())
    source = _encode(_noise((160, 120)), "PNG", pnginfo=info, icc_profile=_icc())
    stored = sanitize_image(source, max_pixels=MAX_PIXELS).jpeg
    assert SECRET not in stored and b"ICC_PROFILE" not in stored
    assert set(_jpeg_segments(stored)) <= {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDA}


def test_png_exif_orientation_is_applied_and_dropped() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = _clean(_encode(Image.new("RGB", (200, 100), (0, 0, 200)), "PNG", exif=exif.tobytes()))
    assert stored.size == (100, 200)
    assert dict(stored.getexif()) == {}


# --- the concurrency bound -----------------------------------------------------------------


def test_at_most_max_concurrent_decodes_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import spotcheck.images.sanitize as sanitize_module

    running, peak, lock = 0, 0, threading.Lock()
    real = sanitize_module.decoded_to_fit

    def counting(*args: object, **kwargs: object) -> Image.Image:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(sanitize_module, "decoded_to_fit", counting)
    sanitizer = ImageSanitizer(max_pixels=MAX_PIXELS, max_concurrent=2)
    data = _encode(Image.new("RGB", (128, 128)), "PNG")
    threads = [threading.Thread(target=sanitizer.clean, args=(data,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2


# --- the decode handed to the in-process worker ------------------------------------------------

MODEL_DECODE = (400, 300)  # what the workers decode the shipped model's photos at


def _photo(size: tuple[int, int]) -> Image.Image:
    """Smooth shading with noise on it, like a photo (DCT scaling and upsampling have work to do)."""
    width, height = size
    x, y = np.meshgrid(np.linspace(0, 1, width), np.linspace(0, 1, height))
    base = np.stack([200 * x, 150 * y, 120 * (1 - x * y)], axis=-1)
    noise = np.random.default_rng(3).normal(0, 12, (height, width, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


@pytest.mark.parametrize(
    ("size", "options", "decoded_size"),
    [
        ((2048, 1536), {"quality": 92}, (512, 384)),  # what the web page sends: 1/4
        ((1200, 900), {"quality": 85, "subsampling": 0}, (600, 450)),  # 1/2, no chroma subsampling
        ((3300, 2500), {"quality": 80, "progressive": True}, (413, 313)),  # 1/8, progressive
        ((640, 480), {"quality": 90}, (640, 480)),  # full size
    ],
)
def test_the_decode_for_the_worker_is_the_workers_own_decode(
    size: tuple[int, int], options: dict[str, object], decoded_size: tuple[int, int]
) -> None:
    from spotcheck.images.decode import decode_for_model, decode_plain_jpeg_for_model

    data = _encode(_photo(size), "JPEG", **options)
    handed = decode_plain_jpeg_for_model(data, at_least=MODEL_DECODE)
    assert handed is not None and handed.mode == "RGB" and handed.size == decoded_size
    assert np.array_equal(np.asarray(handed), np.asarray(decode_for_model(data, at_least=MODEL_DECODE)))


def test_the_decode_for_the_worker_of_a_grey_jpeg_is_the_workers_own_decode() -> None:
    from spotcheck.images.decode import decode_for_model, decode_plain_jpeg_for_model

    data = _encode(_photo((1024, 768)).convert("L"), "JPEG", quality=90)
    handed = decode_plain_jpeg_for_model(data, at_least=MODEL_DECODE)
    assert handed is not None and handed.mode == "RGB"
    assert np.array_equal(np.asarray(handed), np.asarray(decode_for_model(data, at_least=MODEL_DECODE)))


def test_a_kept_jpeg_comes_with_its_decode_when_asked() -> None:
    from spotcheck.images.decode import decode_for_model

    source = _encode(_photo((2048, 1536)), "JPEG", quality=92, comment=SECRET)
    sanitizer = ImageSanitizer(max_pixels=MAX_PIXELS, max_concurrent=1)
    clean = sanitizer.clean(source, decode_at=MODEL_DECODE)
    assert SECRET not in clean.jpeg and clean.decoded is not None
    # The pixels of the stored copy, as the worker would decode them.
    assert np.array_equal(np.asarray(clean.decoded), np.asarray(decode_for_model(clean.jpeg, at_least=MODEL_DECODE)))
    assert sanitizer.clean(source).decoded is None  # not asked


@pytest.mark.parametrize("decode_at", [None, MODEL_DECODE])
def test_a_jpeg_cut_short_behind_an_end_marker_is_refused(decode_at: tuple[int, int] | None) -> None:
    """Within the stored size and upright, so it would be kept: the check is the decode itself."""
    whole = _encode(_photo((1600, 1200)), "JPEG", quality=90)
    forged = whole[: len(whole) * 2 // 3] + b"\xff\xd9"
    sanitizer = ImageSanitizer(max_pixels=MAX_PIXELS, max_concurrent=1)
    with pytest.raises(CorruptImageError, match=r"damaged or incomplete and cannot be read as JPEG"):
        sanitizer.clean(forged, decode_at=decode_at)


@pytest.mark.parametrize("fmt", ["PNG", "rotated JPEG"])
def test_a_re_encoded_upload_comes_without_a_decode(fmt: str) -> None:
    """Its stored bytes are new: the worker decodes them from the store."""
    if fmt == "PNG":
        source = _encode(_photo((400, 300)), "PNG")
    else:
        exif = Image.Exif()
        exif[0x0112] = 6
        source = _encode(_photo((400, 300)), "JPEG", exif=exif.tobytes())
    clean = ImageSanitizer(max_pixels=MAX_PIXELS, max_concurrent=1).clean(source, decode_at=MODEL_DECODE)
    assert clean.decoded is None
