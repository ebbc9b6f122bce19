"""GET /images/{fileName}/thumbnail: a small cached rendition, never an image of its own."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from conftest import register_and_sign_in
from images import BLUE, RED, image_bytes
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.db import jobs
from spotcheck.gallery.object_metadata import UPLOAD_ID
from spotcheck.runtime import Runtime, build_runtime
from spotcheck.storage import ObjectNotFoundError
from spotcheck.storage.keys import object_key_for, thumbnail_key_for


@pytest.fixture
def manual(settings: Settings) -> Iterator[tuple[TestClient, Runtime]]:
    """No worker threads: any job a thumbnail caused would stay in the queue for the test to see."""
    runtime = build_runtime(settings.updated(worker_concurrency=0))
    with TestClient(create_app(runtime, sole_worker=False)) as client:
        yield client, runtime


def _account_id(runtime: Runtime, email: str) -> str:
    return runtime.accounts.authenticate(email=email, password="correct horse battery").id


def _job_count(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(jobs)).scalar_one())


def _decode(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def test_thumbnail_is_a_small_jpeg_with_the_images_proportions(client: TestClient, auth: dict[str, str]) -> None:
    assert client.put("/images/big.jpg", content=image_bytes(RED, size=(1000, 750)), headers=auth).status_code == 202
    response = client.get("/images/big.jpg/thumbnail", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert "no-store" in response.headers["cache-control"]
    assert "content-encoding" not in response.headers  # a JPEG is not gzipped again
    thumb = _decode(response.content)
    assert (thumb.format, thumb.size) == ("JPEG", (160, 120))
    red, green, blue = thumb.convert("RGB").getpixel((80, 60))  # type: ignore[misc]
    assert red > 200 and green < 60 and blue < 60
    assert len(response.content) < len(client.get("/images/big.jpg", headers=auth).content)


def test_thumbnail_is_cached_under_a_derived_key_and_is_never_an_image(manual: tuple[TestClient, Runtime]) -> None:
    client, runtime = manual
    auth = register_and_sign_in(client, "thumbs@example.org")
    assert client.put("/images/a.jpg", content=image_bytes(BLUE, size=(400, 300)), headers=auth).status_code == 202
    jobs_before = _job_count(runtime)
    first = client.get("/images/a.jpg/thumbnail", headers=auth)
    assert first.status_code == 200
    owner = _account_id(runtime, "thumbs@example.org")
    cached = runtime.store.get(thumbnail_key_for(owner, "a.jpg"))
    assert cached.body == first.content
    assert not thumbnail_key_for(owner, "a.jpg").startswith("users/")
    # Not listed, not queued for classification.
    assert client.get("/images", headers=auth).json()["total"] == 1
    assert [info.key for info in runtime.store.list("users/")] == [object_key_for(owner, "a.jpg")]
    assert _job_count(runtime) == jobs_before
    # Served from the cache: a marked copy under the same upload id comes back as it is.
    metadata = dict(cached.info.metadata)
    runtime.store.put(thumbnail_key_for(owner, "a.jpg"), b"cached", content_type="image/jpeg", metadata=metadata)
    assert client.get("/images/a.jpg/thumbnail", headers=auth).content == b"cached"


def test_a_replaced_image_gets_a_new_thumbnail(manual: tuple[TestClient, Runtime]) -> None:
    client, runtime = manual
    auth = register_and_sign_in(client, "replace@example.org")
    client.put("/images/a.jpg", content=image_bytes(BLUE), headers=auth)
    old = client.get("/images/a.jpg/thumbnail", headers=auth).content
    client.put("/images/a.jpg", content=image_bytes(RED), headers=auth)
    new = client.get("/images/a.jpg/thumbnail", headers=auth).content
    assert new != old
    red, _, blue = _decode(new).convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert red > 200 and blue < 60
    owner = _account_id(runtime, "replace@example.org")
    row_upload = runtime.store.head(object_key_for(owner, "a.jpg")).metadata[UPLOAD_ID]
    assert runtime.store.head(thumbnail_key_for(owner, "a.jpg")).metadata[UPLOAD_ID] == row_upload


def test_thumbnail_is_deleted_with_its_image(manual: tuple[TestClient, Runtime]) -> None:
    client, runtime = manual
    auth = register_and_sign_in(client, "gone@example.org")
    client.put("/images/a.jpg", content=image_bytes(BLUE), headers=auth)
    assert client.get("/images/a.jpg/thumbnail", headers=auth).status_code == 200
    owner = _account_id(runtime, "gone@example.org")
    assert client.delete("/images/a.jpg", headers=auth).status_code == 204
    with pytest.raises(ObjectNotFoundError):
        runtime.store.head(thumbnail_key_for(owner, "a.jpg"))
    assert client.get("/images/a.jpg/thumbnail", headers=auth).status_code == 404


def test_thumbnail_of_a_missing_or_someone_elses_image_is_404(
    client: TestClient, auth: dict[str, str], other_auth: dict[str, str]
) -> None:
    client.put("/images/mine.jpg", content=image_bytes(BLUE), headers=auth)
    assert client.get("/images/mine.jpg/thumbnail", headers=other_auth).status_code == 404
    missing = client.get("/images/nope.jpg/thumbnail", headers=auth)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No image named 'nope.jpg'."}
    assert client.get("/images/mine.jpg/thumbnail").status_code == 401


def test_the_image_itself_is_still_served_beside_its_thumbnail(client: TestClient, auth: dict[str, str]) -> None:
    body = image_bytes(BLUE, size=(300, 200))
    client.put("/images/photo.jpg", content=body, headers=auth)
    assert _decode(client.get("/images/photo.jpg", headers=auth).content).size == (300, 200)
    assert _decode(client.get("/images/photo.jpg/thumbnail", headers=auth).content).size == (160, 107)


def test_a_thumbnail_cannot_be_written_or_deleted(client: TestClient, auth: dict[str, str]) -> None:
    client.put("/images/a.jpg", content=image_bytes(BLUE), headers=auth)
    for method in ("PUT", "DELETE"):
        response = client.request(method, "/images/a.jpg/thumbnail", headers=auth, content=image_bytes(RED))
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET"
    assert client.get("/images", headers=auth).json()["total"] == 1  # no image named "a.jpg/thumbnail"


@pytest.mark.parametrize("name", ["thumbnail", "answers"])
def test_an_image_named_like_a_sub_resource_is_an_ordinary_image(
    client: TestClient, auth: dict[str, str], name: str
) -> None:
    body = image_bytes(BLUE, size=(300, 200))
    assert client.put(f"/images/{name}", content=body, headers=auth, follow_redirects=False).status_code == 202
    fetched = client.get(f"/images/{name}", headers=auth, follow_redirects=False)
    assert fetched.status_code == 200 and _decode(fetched.content).size == (300, 200)
    assert _decode(client.get(f"/images/{name}/thumbnail", headers=auth).content).size == (160, 107)
    assert client.delete(f"/images/{name}", headers=auth, follow_redirects=False).status_code == 204
    assert client.get("/images", headers=auth).json()["total"] == 0
