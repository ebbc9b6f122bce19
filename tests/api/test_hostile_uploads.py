"""Hostile and broken uploads: each gets an exact status and a human message, and leaves nothing behind.

The corpus is generated here (no binary fixtures). Every case runs through the ASGI client on a
fresh runtime, and the whole corpus runs once more, in sequence, against a real ``spotcheck
serve`` process. After each case: ``/healthz`` answers, a normal upload is still labelled, and
the object store and the ``images``/``jobs`` tables hold only what was accepted.
"""

from __future__ import annotations

import functools
import io
import logging
import random
import struct
import zipfile
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import anyio
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image, PngImagePlugin
from sqlalchemy import Engine, select
from starlette.types import Message

from conftest import TEST_SECRET, register_and_sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import LiveServer
from spotcheck.config import Settings
from spotcheck.db import images, jobs, open_database, users
from spotcheck.images import sanitize  # noqa: F401  (registers the HEIF codec with Pillow)
from spotcheck.runtime import Runtime
from spotcheck.storage import LocalObjectStore, ObjectStore

LIMIT = 200_000  # max_upload_bytes for this module: small, so "too large" is cheap to send

NOT_AN_IMAGE = "is not a recognisable image. Send a JPEG, PNG, WebP or HEIC image."
DAMAGED = "The image is damaged or incomplete and cannot be read"
TOO_LARGE = "The upload is larger than the limit of 0.2 MB."
TOO_SMALL = "pixels; its shorter side must be at least 96 pixels."


# --- generated files ----------------------------------------------------------------------


def _noise(size: tuple[int, int], seed: int) -> Image.Image:
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def png_bomb(width: int, height: int) -> bytes:
    """A small, valid 1-bit PNG that decompresses to ``width`` x ``height`` pixels of zeros."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpotPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return _encode(Image.new("RGB", (128, 96), BLUE), "JPEG", exif=exif)


def jpeg_rotated_by_exif() -> bytes:
    """Stored sideways: left half red, right half blue, with EXIF orientation 6 (turn 90 degrees clockwise)."""
    image = Image.new("RGB", (128, 96), BLUE)
    image.paste(RED, (0, 0, 64, 96))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return _encode(image, "JPEG", exif=exif, quality=95)


def mpo() -> bytes:
    first = Image.new("RGB", (128, 96), BLUE)
    return _encode(first, "MPO", save_all=True, append_images=[Image.new("RGB", (128, 96), RED)])


def jpeg_then_zip() -> bytes:
    """A JPEG with a ZIP archive appended: a polyglot both viewers and unzip accept."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.sh", "#!/bin/sh\necho owned\n")
    return image_bytes(BLUE) + archive.getvalue()


def _heic() -> bytes:
    return _encode(Image.new("RGB", (128, 96), BLUE), "HEIF")


def _corrupt(data: bytes) -> bytes:
    """The first half kept, the middle of it zeroed: a damaged container around a damaged stream."""
    cut = bytearray(data[: len(data) // 2])
    cut[len(cut) // 2 :] = bytes(len(cut) - len(cut) // 2)
    return bytes(cut)


@functools.cache
def jpeg_truncated_behind_a_large_header() -> bytes:
    """A 3.7 KB JPEG whose header says 6000x6000: the data stops early and an end marker follows."""
    whole = _encode(Image.linear_gradient("L").resize((6000, 6000)), "JPEG", quality=80)
    return whole[:3700] + b"\xff\xd9"


def jpeg_with_comment() -> bytes:
    return _encode(_noise((128, 96), 8), "JPEG", comment=b"Ada Lovelace, GPS 51.5N 0.12W")


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Ada Lovelace, GPS 51.5N 0.12W")
    info.add_itxt("Location", "GPS 51.5N 0.12W", zip=True)
    return _encode(_noise((128, 96), 9), "PNG", pnginfo=info)


def png_16_bit_grey() -> bytes:
    return _encode(Image.fromarray(np.full((96, 128), 30_000, dtype=np.uint16)), "PNG")


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


# --- the corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[], bytes]
    status: int
    detail: str  # the error message contains this; for 202 unused
    name: str = ""  # the raw (already URL-encoded) fileName in the path; default: f"{id}.jpg"
    content_type: str = "application/octet-stream"

    @property
    def path(self) -> str:
        return f"/images/{self.name or self.id + '.jpg'}"

    @property
    def accepted(self) -> bool:
        return self.status == 202

    @property
    def stored_name(self) -> str:
        """The fileName as the server sees it (URL-decoded)."""
        return unquote(self.name or self.id + ".jpg")


def _const(data: bytes) -> Callable[[], bytes]:
    return lambda: data


CORPUS = [
    # Not images at all: 415, judged by content.
    Case("empty", _const(b""), 415, "The upload is empty. Send a JPEG, PNG, WebP or HEIC image."),
    Case("text", _const(b"hello, I am a mole\n" * 20), 415, NOT_AN_IMAGE, content_type="image/jpeg"),
    Case("html", _const(b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"), 415, NOT_AN_IMAGE),
    Case(
        "svg-script",
        _const(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'),
        415,
        NOT_AN_IMAGE,
        name="mole.svg",
        content_type="image/svg+xml",
    ),
    Case("zip", lambda: jpeg_then_zip()[len(image_bytes(BLUE)) :], 415, "The upload looks like application/zip."),
    Case("pdf-named-jpg", _const(b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"), 415, "looks like application/pdf"),
    Case("elf", _const(b"\x7fELF\x02\x01\x01" + bytes(120)), 415, "looks like application/x-executable"),
    Case("windows-exe", _const(b"MZ\x90\x00\x03" + bytes(120)), 415, "looks like application/x-msdownload"),
    # Images, but not of an accepted format: 415 naming what was found.
    Case("gif", lambda: image_bytes(RED, fmt="GIF"), 415, "The upload looks like image/gif."),
    Case("gif-js-polyglot", _const(b"GIF89a/*\x00\x00*/=alert(1);" + bytes(40)), 415, "looks like image/gif"),
    Case("bmp", lambda: image_bytes(RED, fmt="BMP"), 415, "looks like image/bmp"),
    Case("tiff", lambda: image_bytes(RED, fmt="TIFF"), 415, "looks like image/tiff"),
    Case("avif", lambda: image_bytes(BLUE, fmt="AVIF"), 415, "The upload looks like image/avif."),
    Case("corrupt-avif", lambda: _corrupt(image_bytes(BLUE, fmt="AVIF")), 415, "looks like image/avif"),
    # Accepted formats, but damaged: 422.
    Case("truncated-jpeg", lambda: _truncated(_encode(_noise((128, 128), 1), "JPEG")), 422, DAMAGED),
    Case("truncated-png", lambda: _truncated(_encode(_noise((96, 96), 2), "PNG")), 422, DAMAGED),
    Case("jpeg-header-garbage", lambda: b"\xff\xd8\xff\xe0" + random.Random(3).randbytes(4000), 422, DAMAGED),
    Case("png-header-garbage", lambda: b"\x89PNG\r\n\x1a\n" + random.Random(4).randbytes(4000), 422, DAMAGED),
    Case("jpeg-6000x6000-header-3.7kb-data", jpeg_truncated_behind_a_large_header, 422, DAMAGED + " as JPEG."),
    Case("corrupt-heic", lambda: _corrupt(_heic()), 422, DAMAGED),
    Case("corrupt-webp", lambda: _corrupt(image_bytes(BLUE, fmt="WEBP")), 422, DAMAGED),
    # Too few pixels to judge: 422 naming the minimum.
    Case(
        "png-1x1", lambda: image_bytes(size=(1, 1), fmt="PNG"), 422, "1x1 pixels; its shorter side must be at least 96"
    ),
    Case("png-65501x1", lambda: image_bytes(size=(65_501, 1), fmt="PNG"), 422, "65501x1 " + TOO_SMALL),
    Case(
        "jpeg-95-high", lambda: image_bytes(size=(400, 95)), 422, "400x95 pixels; its shorter side must be at least 96"
    ),
    # Too many pixels: 422 before the pixels are decoded.
    Case(
        "png-8000x6000",
        lambda: png_bomb(8000, 6000),
        422,
        "The image is 8000x6000 pixels (48,000,000); at most 40,000,000 pixels are accepted.",
    ),
    Case("png-bomb-30000x30000", lambda: png_bomb(30_000, 30_000), 422, "too many pixels to analyse safely"),
    # Over the upload limit: 413 (the body is never buffered past the limit).
    Case("too-large", lambda: random.Random(5).randbytes(LIMIT + 1), 413, TOO_LARGE),
    # Bad fileNames (with a valid image): 400 naming the rule.
    Case("name-slash", lambda: image_bytes(), 400, "must not contain path separators", name="a/b"),
    Case("name-dotdot", lambda: image_bytes(), 400, "must not contain '..'", name="%2E%2E"),
    Case("name-dotdot-slash", lambda: image_bytes(), 400, "must not contain path separators", name="..%2Fx"),
    Case("name-backslash", lambda: image_bytes(), 400, "must not contain path separators", name="a%5Cb.jpg"),
    Case("name-control", lambda: image_bytes(), 400, "control characters (found U+0001)", name="mole%01.jpg"),
    Case("name-nul", lambda: image_bytes(), 400, "control characters (found U+0000)", name="mole%00.jpg"),
    Case("name-201-chars", lambda: image_bytes(), 400, "201 characters long; at most 200", name="x" * 201),
    Case("name-blank", lambda: image_bytes(), 400, "must not be empty", name="%20%20"),
    Case("name-invalid-utf8-ff", lambda: image_bytes(), 400, "byte FF (percent-encoded) is not UTF-8", name="%ff.jpg"),
    Case("name-invalid-utf8-fe", lambda: image_bytes(), 400, "byte FE (percent-encoded) is not UTF-8", name="%fe.jpg"),
    Case("name-lone-surrogate", lambda: image_bytes(), 400, "is not UTF-8", name="%ed%a0%80.jpg"),
    # Accepted: content decides, not the name or the declared type; metadata is stripped.
    Case("png-named-jpg", lambda: image_bytes(BLUE, fmt="PNG"), 202, ""),
    Case("jpeg-as-text-plain", lambda: image_bytes(BLUE), 202, "", content_type="text/plain"),
    Case("jpeg-with-gps", jpeg_with_gps, 202, ""),
    Case("jpeg-exif-orientation-6", jpeg_rotated_by_exif, 202, ""),
    Case("jpeg-then-zip", jpeg_then_zip, 202, ""),
    Case("webp", lambda: image_bytes(BLUE, fmt="WEBP"), 202, "", name="spot.webp"),
    Case("heic", _heic, 202, "", name="spot.heic"),
    Case("jpeg-with-comment", jpeg_with_comment, 202, ""),
    Case("png-with-text-chunks", png_with_text, 202, ""),
    Case("png-16-bit-grey", png_16_bit_grey, 202, ""),
    Case("png-65501x96", lambda: image_bytes(size=(65_501, 96), fmt="PNG"), 202, ""),
    Case("mpo-phone-jpeg", mpo, 202, ""),
    Case("exactly-at-limit-name-200", lambda: image_bytes(BLUE), 202, "", name="y" * 196 + ".jpg"),
]


# --- checks shared by the ASGI and the live runs --------------------------------------------


def _check_answer(case: Case, response: httpx.Response) -> None:
    assert response.status_code == case.status, f"{case.id}: {response.status_code} {response.text}"
    body = response.json()
    if case.accepted:
        assert body == {"fileName": case.stored_name, "status": "pending"}
        return
    assert isinstance(body["detail"], str), body
    assert case.detail in body["detail"], f"{case.id}: {body['detail']!r}"
    assert "Traceback" not in body["detail"]


def _check_clean_stored_image(stored: bytes) -> None:
    """The stored copy is a plain re-encoded JPEG: no EXIF (so no GPS), nothing appended."""
    assert stored.startswith(b"\xff\xd8")
    assert b"Exif\x00\x00" not in stored
    assert b"PK\x03\x04" not in stored and b"payload.sh" not in stored
    assert b"GPS" not in stored and b"Lovelace" not in stored and b"\xff\xfe" not in stored  # no COM segment
    assert b"ICC_PROFILE" not in stored and b"http://ns.adobe.com/xap" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info


def _rows(engine: Engine) -> tuple[set[str], set[str]]:
    with engine.connect() as conn:
        names = {row.file_name for row in conn.execute(select(images.c.file_name))}
        keys = {row.object_key for row in conn.execute(select(jobs.c.object_key))}
    return names, keys


def _check_nothing_stray(store: ObjectStore, engine: Engine, owner_prefix: str, accepted: set[str]) -> None:
    stored = {info.key for info in store.list() if not info.key.startswith("_readyz/")}
    assert stored == {owner_prefix + name for name in accepted}
    names, job_keys = _rows(engine)
    assert names == accepted
    assert job_keys <= {owner_prefix + name for name in accepted}


def _owner_prefix(engine: Engine) -> str:
    with engine.connect() as conn:
        (user_id,) = conn.execute(select(users.c.id)).one()
    return f"users/{user_id}/"


# --- the ASGI run -------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, tiny_model_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, max_upload_bytes=LIMIT
    )


def _put(client: TestClient | httpx.Client, case: Case, auth: dict[str, str]) -> httpx.Response:
    return client.put(case.path, content=case.make(), headers={**auth, "Content-Type": case.content_type})


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_hostile_upload(case: Case, client: TestClient, auth: dict[str, str], runtime: Runtime) -> None:
    _check_answer(case, _put(client, case, auth))
    prefix = _owner_prefix(runtime.engine)
    accepted = {case.stored_name} if case.accepted else set()
    if case.accepted:
        label = wait_for_label(lambda: client.get(f"/detect/{case.stored_name}", headers=auth))
        assert label.status_code == 200, label.text
        stored = client.get(f"/images/{case.stored_name}", headers=auth)
        assert stored.headers["content-type"] == "image/jpeg"
        _check_clean_stored_image(stored.content)
    _check_nothing_stray(runtime.store, runtime.engine, prefix, accepted)

    # Still healthy: the probe answers and an ordinary upload is labelled.
    assert client.get("/healthz").status_code == 200
    assert client.put("/images/after.jpg", content=image_bytes(RED), headers=auth).status_code == 202
    assert wait_for_label(lambda: client.get("/detect/after.jpg", headers=auth)).json()["classification"] == "MALIGNANT"
    _check_nothing_stray(runtime.store, runtime.engine, prefix, {*accepted, "after.jpg"})


def test_corpus_is_big_enough() -> None:
    assert len([c for c in CORPUS if not c.accepted]) >= 20
    assert len({c.id for c in CORPUS}) == len(CORPUS)


def test_gps_is_removed_from_the_stored_image(client: TestClient, auth: dict[str, str]) -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:  # the test file really carries a location
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert client.put("/images/gps.jpg", content=original, headers=auth).status_code == 202
    stored = client.get("/images/gps.jpg", headers=auth)
    assert stored.status_code == 200
    _check_clean_stored_image(stored.content)
    assert b"SpotPhone" not in stored.content


def test_16_bit_grey_png_is_stored_grey_not_white(client: TestClient, auth: dict[str, str]) -> None:
    assert client.put("/images/deep.png", content=png_16_bit_grey(), headers=auth).status_code == 202
    with Image.open(io.BytesIO(client.get("/images/deep.png", headers=auth).content)) as stored:
        grey = np.asarray(stored.convert("L"), dtype=np.float64)
    assert abs(grey.mean() - 30_000 / 257) < 3  # 117, where clipping made it 255


def test_comment_and_text_chunks_are_not_served_back(client: TestClient, auth: dict[str, str]) -> None:
    for name, data in (("comment.jpg", jpeg_with_comment()), ("text.png", png_with_text())):
        assert b"GPS 51.5N" in data  # the test file really carries it
        assert client.put(f"/images/{name}", content=data, headers=auth).status_code == 202
        served = client.get(f"/images/{name}", headers=auth).content
        assert b"GPS 51.5N" not in served and b"Lovelace" not in served
        _check_clean_stored_image(served)


def test_invalid_utf8_names_do_not_overwrite_each_other(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    for raw in ("%ff.jpg", "%fe.jpg"):
        response = client.put(f"/images/{raw}", content=image_bytes(), headers=auth)
        assert response.status_code == 400 and "is not UTF-8" in response.json()["detail"]
        for other in (client.get(f"/images/{raw}", headers=auth), client.get(f"/detect/{raw}", headers=auth)):
            assert other.status_code == 400
    assert list(runtime.store.list()) == []


def test_nfc_and_nfd_spellings_are_one_file(client: TestClient, auth: dict[str, str]) -> None:
    nfc, nfd = "M%C3%BCller.jpg", "Mu%CC%88ller.jpg"  # "Müller.jpg" composed and decomposed
    assert client.put(f"/images/{nfd}", content=image_bytes(BLUE), headers=auth).json()["fileName"] == "Müller.jpg"
    assert client.put(f"/images/{nfc}", content=image_bytes(RED), headers=auth).status_code == 202
    listing = client.get("/images", headers=auth).json()
    assert [item["fileName"] for item in listing["items"]] == ["Müller.jpg"]
    assert client.get(f"/images/{nfd}", headers=auth).status_code == 200
    assert client.delete(f"/images/{nfd}", headers=auth).status_code == 204
    assert client.get(f"/images/{nfc}", headers=auth).status_code == 404


def test_exif_orientation_is_applied(client: TestClient, auth: dict[str, str]) -> None:
    assert client.put("/images/turned.jpg", content=jpeg_rotated_by_exif(), headers=auth).status_code == 202
    stored = client.get("/images/turned.jpg", headers=auth).content
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (96, 128)  # turned upright: portrait
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((48, 16)), rgb.getpixel((48, 112))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 180 and top[2] < 80  # what was the left (red) half is now on top
    assert bottom[2] > 180 and bottom[0] < 80


def test_chunked_upload_over_the_limit_is_refused(client: TestClient, auth: dict[str, str], runtime: Runtime) -> None:
    sent = _stream_to_app(client, "PUT", "/images/big.jpg", auth, content_type="image/jpeg")
    assert sent.status == 413 and TOO_LARGE in sent.detail
    assert sent.bytes_read <= LIMIT + _CHUNK  # refused as soon as the limit was passed
    assert list(runtime.store.list()) == []


def test_chunked_multipart_over_the_limit_is_refused_before_spooling(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    """Without a Content-Length the multipart parser would spool the whole part to disk first."""
    sent = _stream_to_app(client, "POST", "/images", auth, content_type="multipart/form-data; boundary=XyZ")
    assert sent.status == 413 and TOO_LARGE in sent.detail
    assert sent.bytes_read <= LIMIT + 64 * 1024 + _CHUNK
    assert list(runtime.store.list()) == []


def test_declared_length_over_the_limit_is_refused_unread(client: TestClient, auth: dict[str, str]) -> None:
    files = {"file": ("big.jpg", random.Random(6).randbytes(LIMIT + 70_000), "image/jpeg")}
    response = client.post("/images", files=files, headers=auth)
    assert response.status_code == 413 and response.json() == {"detail": TOO_LARGE}


@pytest.mark.parametrize(
    ("file_name", "status", "detail"),
    [
        ("../etc/passwd", 400, "must not contain path separators"),
        ("..", 400, "must not contain '..'"),
        ("ok.jpg", 415, "looks like application/pdf"),
    ],
)
def test_multipart_hostile_fields(
    client: TestClient, auth: dict[str, str], runtime: Runtime, file_name: str, status: int, detail: str
) -> None:
    body = image_bytes() if status == 400 else b"%PDF-1.4\n%%EOF\n"
    response = client.post(
        "/images", files={"file": ("x", body, "image/jpeg")}, data={"fileName": file_name}, headers=auth
    )
    assert response.status_code == status and detail in response.json()["detail"]
    assert list(runtime.store.list()) == []


def test_multipart_without_a_file_field(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/images", data={"fileName": "a.jpg"}, files={"other": ("a", b"x")}, headers=auth)
    assert response.status_code == 400
    assert response.json() == {"detail": "Send the image in a multipart field named 'file'."}


# Streaming straight into the ASGI app: the TestClient would read a generator body in full first.

_CHUNK = 16 * 1024


@dataclass
class _Sent:
    status: int
    detail: str
    bytes_read: int


def _stream_to_app(client: TestClient, method: str, path: str, auth: dict[str, str], *, content_type: str) -> _Sent:
    bytes_read = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal bytes_read
        if content_type.startswith("multipart/"):
            head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
            bytes_read += len(head)
            yield head
        for _ in range(10 * LIMIT // _CHUNK):  # ten times the limit, never all sent if refused early
            bytes_read += _CHUNK
            yield b"\xff" * _CHUNK

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://spotcheck") as asgi:
            headers = {**auth, "Content-Type": content_type}
            return await asgi.request(method, path, content=body(), headers=headers)

    response = anyio.run(send)
    assert "content-length" not in response.request.headers  # really chunked
    return _Sent(response.status_code, response.json()["detail"], bytes_read)


# --- the same corpus against a real server ------------------------------------------------


@pytest.fixture
def live(tmp_path: Path, tiny_model_path: Path) -> Iterator[LiveServer]:
    env = {"SPOTCHECK_MAX_UPLOAD_BYTES": str(LIMIT)}
    with LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET, env=env) as server:
        yield server


@pytest.mark.slow
def test_hostile_corpus_against_a_live_server(live: LiveServer) -> None:
    engine = open_database(f"sqlite:///{live.data_dir / 'spotcheck.db'}")
    store = LocalObjectStore(live.data_dir)
    accepted: set[str] = set()
    try:
        with httpx.Client(base_url=live.url, timeout=30) as client:
            auth = register_and_sign_in(client, "live-hostile@example.org")
            prefix = _owner_prefix(engine)
            for number, case in enumerate(CORPUS):
                _check_answer(case, _put(client, case, auth))
                if case.accepted:
                    accepted.add(case.stored_name)
                    _check_clean_stored_image(client.get(f"/images/{case.stored_name}", headers=auth).content)
                _check_nothing_stray(store, engine, prefix, accepted)
                assert client.get("/healthz").status_code == 200
                if number % 6 == 0:  # an ordinary upload still works, now and then along the way
                    name = f"ordinary-{number}.jpg"
                    assert client.put(f"/images/{name}", content=image_bytes(RED), headers=auth).status_code == 202
                    label = wait_for_label(lambda name=name: client.get(f"/detect/{name}", headers=auth))
                    assert label.json()["classification"] == "MALIGNANT"
                    accepted.add(name)

            # A chunked body (no Content-Length) over the limit.
            chunks = (b"\xff" * _CHUNK for _ in range(4 * LIMIT // _CHUNK))
            response = client.put("/images/chunked.jpg", content=chunks, headers=auth)
            assert response.status_code == 413 and response.json() == {"detail": TOO_LARGE}
            for name in accepted - {n for n in accepted if n.startswith("ordinary-")}:
                assert wait_for_label(lambda name=name: client.get(f"/detect/{name}", headers=auth)).status_code == 200
            _check_nothing_stray(store, engine, prefix, accepted)
    finally:
        engine.dispose()


# --- a client that goes away mid-upload ------------------------------------------------------


def _disconnect_midway(client: TestClient, method: str, path: str, auth: dict[str, str], content_type: str) -> None:
    """Half a body, then the client is gone: what uvicorn tells the app when the socket closes."""
    head = b""
    if content_type.startswith("multipart/"):
        head = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
    messages: list[Message] = [
        {"type": "http.request", "body": head + b"\xff\xd8\xff\xe0" + bytes(20_000), "more_body": True},
        {"type": "http.disconnect"},
    ]
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"90000")]
    headers += [(key.lower().encode(), value.encode()) for key, value in auth.items()]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("spotcheck", 80), "state": {},
    }  # fmt: skip

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(_message: Message) -> None:
        return None

    async def call() -> None:
        await client.app(scope, receive, send)  # type: ignore[arg-type]

    anyio.run(call)


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [("PUT", "/images/gone.jpg", "image/jpeg"), ("POST", "/images", "multipart/form-data; boundary=XyZ")],
)
def test_client_disconnect_midway_is_one_log_line(
    client: TestClient,
    auth: dict[str, str],
    runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    content_type: str,
) -> None:
    caplog.set_level(logging.INFO)
    _disconnect_midway(client, method, path, auth, content_type)
    lines = [r for r in caplog.records if "disconnected" in r.getMessage()]
    assert [r.getMessage() for r in lines] == [f"client disconnected during {method} {path}; nothing stored"]
    assert all(r.exc_info is None and r.levelno < logging.WARNING for r in caplog.records), caplog.text
    assert list(runtime.store.list()) == []
    assert client.put("/images/after.jpg", content=image_bytes(RED), headers=auth).status_code == 202
