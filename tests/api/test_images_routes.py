"""Listing, fetching, deleting and replacing images; failed analyses; the health probes."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from conftest import register_and_sign_in, wait_for_label
from images import BLUE, GREEN, RED, image_bytes
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.db import images, jobs
from spotcheck.gallery.object_metadata import UPLOAD_ID
from spotcheck.labelling import Outcome
from spotcheck.runtime import Runtime, build_runtime
from spotcheck.storage import MemoryObjectStore, StorageError


def _put(client: TestClient, name: str, auth: dict[str, str], colour: tuple[int, int, int] = BLUE) -> None:
    response = client.put(f"/images/{name}", content=image_bytes(colour), headers=auth)
    assert response.status_code == 202, response.text


def _job_rows(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.engine.connect() as conn:
        return [(r.object_key, r.status) for r in conn.execute(select(jobs.c.object_key, jobs.c.status))]


def _image_rows(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return [r.file_name for r in conn.execute(select(images.c.file_name))]


# --- a runtime without worker threads, so a test decides when each job runs ---------------


@pytest.fixture
def manual(settings: Settings) -> Iterator[tuple[TestClient, Runtime]]:
    runtime = build_runtime(settings.updated(worker_concurrency=0))
    with TestClient(create_app(runtime, sole_worker=False)) as client:
        yield client, runtime


def _run_next(runtime: Runtime) -> Outcome:
    job = runtime.queue.claim(timeout=0)
    assert job is not None, "no job to run"
    return runtime.worker.handle(job)


def _detect(client: TestClient, name: str, auth: dict[str, str]) -> tuple[int, str | None]:
    response = client.get(f"/detect/{name}", headers=auth)
    return response.status_code, response.json().get("classification")


# --- list ---------------------------------------------------------------------------------


def test_list_is_newest_first_and_paginated(client: TestClient, auth: dict[str, str]) -> None:
    names = [f"spot-{i}.jpg" for i in range(5)]
    for name in names:
        _put(client, name, auth)
    newest_first = names[::-1]

    everything = client.get("/images", headers=auth).json()
    assert [item["fileName"] for item in everything["items"]] == newest_first
    assert (everything["total"], everything["limit"], everything["offset"]) == (5, 20, 0)

    page = client.get("/images", params={"limit": 2, "offset": 2}, headers=auth).json()
    assert [item["fileName"] for item in page["items"]] == newest_first[2:4]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert client.get("/images", params={"offset": 10}, headers=auth).json()["items"] == []

    item = everything["items"][0]
    assert set(item) == {
        "fileName", "status", "size", "uploadedAt", "classification", "malignantProbability",
        "modelVersion", "classifiedAt", "refusal", "error", "spotId",
    }  # fmt: skip
    assert item["size"] > 0 and item["status"] in ("pending", "done")


def test_replacing_moves_an_image_to_the_top(client: TestClient, auth: dict[str, str]) -> None:
    for name in ("a.jpg", "b.jpg", "a.jpg"):
        _put(client, name, auth)
    listing = client.get("/images", headers=auth).json()
    assert [item["fileName"] for item in listing["items"]] == ["a.jpg", "b.jpg"]
    assert listing["total"] == 2


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}, {"offset": 1_000_001}, {"offset": 2**63}],
)
def test_bad_pagination_is_422(client: TestClient, auth: dict[str, str], params: dict[str, object]) -> None:
    assert client.get("/images", params=params, headers=auth).status_code == 422


def test_an_overflowing_offset_leaves_uploads_working(client: TestClient, auth: dict[str, str]) -> None:
    """One GET /images?offset=2**63 used to answer 500 and lock the database for every later upload."""
    _put(client, "before.jpg", auth)
    huge = client.get("/images", params={"offset": 9223372036854775808}, headers=auth)
    assert huge.status_code == 422 and "1000000" in huge.text
    _put(client, "after.jpg", auth, RED)
    assert wait_for_label(lambda: client.get("/detect/after.jpg", headers=auth)).json()["classification"] == "MALIGNANT"
    last = client.get("/images", params={"offset": 1_000_000}, headers=auth).json()
    assert last["items"] == [] and last["total"] == 2


def test_labelled_images_show_their_label_in_the_list(client: TestClient, auth: dict[str, str]) -> None:
    _put(client, "red.jpg", auth, RED)
    wait_for_label(lambda: client.get("/detect/red.jpg", headers=auth))
    (item,) = client.get("/images", headers=auth).json()["items"]
    assert item["status"] == "done" and item["classification"] == "MALIGNANT"
    assert item["malignantProbability"] > 0.5 and item["classifiedAt"] is not None


# --- get and delete -----------------------------------------------------------------------


def test_get_returns_the_stored_jpeg(client: TestClient, auth: dict[str, str]) -> None:
    _put(client, "spot.png", auth)
    response = client.get("/images/spot.png", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, no-store"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.format == "JPEG" and image.size == (128, 96)


def test_missing_image_is_404(client: TestClient, auth: dict[str, str]) -> None:
    for response in (
        client.get("/images/nope.jpg", headers=auth),
        client.get("/detect/nope.jpg", headers=auth),
        client.delete("/images/nope.jpg", headers=auth),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "No image named 'nope.jpg'."}


def test_delete_removes_object_row_and_jobs(client: TestClient, auth: dict[str, str], runtime: Runtime) -> None:
    _put(client, "gone.jpg", auth, RED)
    _put(client, "kept.jpg", auth)
    wait_for_label(lambda: client.get("/detect/gone.jpg", headers=auth))
    _put(client, "gone.jpg", auth, BLUE)  # a second upload: two jobs for the object

    response = client.delete("/images/gone.jpg", headers=auth)
    assert response.status_code == 204 and response.content == b""
    assert client.get("/detect/gone.jpg", headers=auth).status_code == 404
    assert client.get("/images/gone.jpg", headers=auth).status_code == 404
    assert client.delete("/images/gone.jpg", headers=auth).status_code == 404
    assert [info.key.rsplit("/", 1)[1] for info in runtime.store.list()] == ["kept.jpg"]
    assert _image_rows(runtime) == ["kept.jpg"]
    assert all(key.endswith("/kept.jpg") for key, _ in _job_rows(runtime))
    assert client.get("/images", headers=auth).json()["total"] == 1


def test_delete_while_a_job_is_claimed_leaves_nothing(
    manual: tuple[TestClient, Runtime], auth_factory: AuthFactory
) -> None:
    client, runtime = manual
    auth = auth_factory(client)
    _put(client, "x.jpg", auth, RED)
    job = runtime.queue.claim(timeout=0)
    assert job is not None
    assert client.delete("/images/x.jpg", headers=auth).status_code == 204
    assert runtime.worker.handle(job) is Outcome.STALE
    assert list(runtime.store.list()) == [] and _image_rows(runtime) == [] and _job_rows(runtime) == []


# --- replace: a stale label is never served -------------------------------------------------


class AuthFactory:
    def __call__(self, client: TestClient) -> dict[str, str]:
        return register_and_sign_in(client, "ada@example.org")


@pytest.fixture
def auth_factory() -> AuthFactory:
    return AuthFactory()


def test_replace_after_labelling_never_serves_the_old_label(
    manual: tuple[TestClient, Runtime], auth_factory: AuthFactory
) -> None:
    client, runtime = manual
    auth = auth_factory(client)
    _put(client, "mole.jpg", auth, RED)
    assert _run_next(runtime) is Outcome.LABELLED
    assert _detect(client, "mole.jpg", auth) == (200, "MALIGNANT")

    _put(client, "mole.jpg", auth, BLUE)
    assert _detect(client, "mole.jpg", auth) == (202, None)  # not the old MALIGNANT
    listing = client.get("/images", headers=auth).json()["items"][0]
    assert listing["status"] == "pending" and listing["classification"] is None
    assert _run_next(runtime) is Outcome.LABELLED
    assert _detect(client, "mole.jpg", auth) == (200, "BENIGN")


def test_replace_before_the_first_job_runs(manual: tuple[TestClient, Runtime], auth_factory: AuthFactory) -> None:
    client, runtime = manual
    auth = auth_factory(client)
    _put(client, "mole.jpg", auth, RED)
    _put(client, "mole.jpg", auth, BLUE)
    assert _run_next(runtime) is Outcome.STALE  # the RED job: replaced
    assert _detect(client, "mole.jpg", auth) == (202, None)
    assert _run_next(runtime) is Outcome.LABELLED
    assert _detect(client, "mole.jpg", auth) == (200, "BENIGN")


def test_replace_while_the_first_job_is_running(manual: tuple[TestClient, Runtime], auth_factory: AuthFactory) -> None:
    client, runtime = manual
    auth = auth_factory(client)
    _put(client, "mole.jpg", auth, RED)
    red_job = runtime.queue.claim(timeout=0)
    assert red_job is not None
    _put(client, "mole.jpg", auth, BLUE)
    assert runtime.worker.handle(red_job) is Outcome.STALE
    assert _detect(client, "mole.jpg", auth) == (202, None)
    assert _run_next(runtime) is Outcome.LABELLED
    assert _detect(client, "mole.jpg", auth) == (200, "BENIGN")
    metadata = runtime.store.head(next(iter(runtime.store.list())).key).metadata
    assert metadata["classification"] == "BENIGN"


# --- failed analysis ------------------------------------------------------------------------


def test_detect_on_a_failed_analysis_is_422(manual: tuple[TestClient, Runtime], auth_factory: AuthFactory) -> None:
    client, runtime = manual
    auth = auth_factory(client)
    _put(client, "broken.jpg", auth)
    (info,) = runtime.store.list()
    # The stored body is damaged after the upload (disk fault, tampering): same upload, unreadable bytes.
    runtime.store.put(info.key, b"\xff\xd8 not a jpeg any more", content_type="image/jpeg", metadata=info.metadata)
    assert info.metadata[UPLOAD_ID]

    assert _run_next(runtime) is Outcome.FAILED
    response = client.get("/detect/broken.jpg", headers=auth)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The stored image could not be analysed: it is damaged or not an image; please upload it again."
    }
    (item,) = client.get("/images", headers=auth).json()["items"]
    assert item["status"] == "failed" and item["error"] == response.json()["detail"]

    # Uploading it again starts over.
    _put(client, "broken.jpg", auth, RED)
    assert client.get("/detect/broken.jpg", headers=auth).status_code == 202
    assert _run_next(runtime) is Outcome.LABELLED
    assert _detect(client, "broken.jpg", auth) == (200, "MALIGNANT")


# --- health ---------------------------------------------------------------------------------


def test_healthz_and_readyz(client: TestClient, runtime: Runtime, tiny_model_path: Path) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"model": "tiny-test-model-1", "database": "ok", "storage": "ok", "worker": "ok"},
    }
    assert [info.key for info in runtime.store.list()] == []  # the probe writes nothing


def test_readyz_is_503_when_storage_fails(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise StorageError("disk full")

    monkeypatch.setattr(runtime.store, "check", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "error: disk full"
    assert client.get("/healthz").status_code == 200  # alive, just not ready


def test_readyz_gives_up_on_a_check_that_hangs(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = threading.Event()
    monkeypatch.setattr(runtime.store, "check", lambda: released.wait(30))
    try:
        for _ in range(3):  # a stuck check is waited on again, not started again
            response = client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["checks"]["storage"] == "timeout"
            assert response.json()["checks"]["database"] == "ok"
    finally:
        released.set()
    deadline = time.monotonic() + 10
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "readyz never recovered"
        time.sleep(0.05)


def test_readyz_is_503_when_the_workers_stopped(client: TestClient, runtime: Runtime) -> None:
    runtime.pool.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "stopped"


def test_readyz_is_503_while_the_labelling_process_starts(
    client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    class _Loading:  # a labelling process still loading its model
        running, starting = False, True

    monkeypatch.setattr(runtime, "pool", _Loading())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "starting"


def test_readyz_with_external_workers(manual: tuple[TestClient, Runtime]) -> None:
    client, _ = manual
    assert client.get("/readyz").json()["checks"]["worker"] == "external"


class _BrokenStore(MemoryObjectStore):
    def put(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        raise StorageError("disk full")


def test_upload_while_storage_is_down_is_503_and_leaves_no_row(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    runtime.gallery._store = _BrokenStore()  # the gallery was wired with the healthy store
    response = client.put("/images/x.jpg", content=image_bytes(), headers=auth)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json() == {"detail": "Storage is unavailable right now; please try again shortly."}
    assert _image_rows(runtime) == [] and _job_rows(runtime) == []


# --- where the model looked ----------------------------------------------------------------


def _half_red_jpeg(size: tuple[int, int] = (160, 120)) -> bytes:
    image = Image.new("RGB", size, BLUE)
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), RED), (0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def heatmap_client(settings: Settings, heatmap_model_path: Path) -> Iterator[TestClient]:
    runtime = build_runtime(settings.updated(model_path=heatmap_model_path))
    with TestClient(create_app(runtime)) as client:
        yield client


def test_the_heatmap_is_a_png_of_the_photo_bright_where_the_model_looked(heatmap_client: TestClient) -> None:
    owner = register_and_sign_in(heatmap_client, "ada@example.org")
    assert heatmap_client.put("/images/spot.jpg", content=_half_red_jpeg(), headers=owner).status_code == 202
    assert wait_for_label(lambda: heatmap_client.get("/detect/spot.jpg", headers=owner)).status_code == 200

    response = heatmap_client.get("/images/spot.jpg/heatmap", headers=owner)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "private, no-store"
    photo = Image.open(io.BytesIO(heatmap_client.get("/images/spot.jpg", headers=owner).content))
    heatmap = Image.open(io.BytesIO(response.content))
    assert (heatmap.format, heatmap.mode, heatmap.size) == ("PNG", "L", photo.size)
    grey = np.asarray(heatmap)
    assert grey[:, :60].mean() > 100 > grey[:, 100:].max()


def test_the_heatmap_keeps_the_images_access_rules(heatmap_client: TestClient) -> None:
    owner = register_and_sign_in(heatmap_client, "ada@example.org")
    other = register_and_sign_in(heatmap_client, "grace@example.org")
    heatmap_client.put("/images/spot.jpg", content=_half_red_jpeg(), headers=owner)
    wait_for_label(lambda: heatmap_client.get("/detect/spot.jpg", headers=owner))

    theirs = heatmap_client.get("/images/spot.jpg/heatmap", headers=other)
    missing = heatmap_client.get("/images/nothing.jpg/heatmap", headers=other)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == {"detail": missing.json()["detail"].replace("nothing.jpg", "spot.jpg")}
    assert heatmap_client.get("/images/spot.jpg/heatmap").status_code == 401
    assert heatmap_client.put("/images/spot.jpg/heatmap", content=_half_red_jpeg(), headers=owner).status_code == 405


def test_a_refused_photo_has_no_heatmap(heatmap_client: TestClient) -> None:
    owner = register_and_sign_in(heatmap_client, "ada@example.org")
    heatmap_client.put("/images/leaf.jpg", content=image_bytes(GREEN), headers=owner)
    assert wait_for_label(lambda: heatmap_client.get("/detect/leaf.jpg", headers=owner)).json()["status"] == "refused"

    response = heatmap_client.get("/images/leaf.jpg/heatmap", headers=owner)
    assert response.status_code == 404
    assert "refused" in response.json()["detail"]


def test_a_photo_not_analysed_yet_has_no_heatmap_yet(manual: tuple[TestClient, Runtime], auth: dict[str, str]) -> None:
    client, _runtime = manual
    _put(client, "later.jpg", auth)
    response = client.get("/images/later.jpg/heatmap", headers=auth)
    assert response.status_code == 404
    assert "not analysed yet" in response.json()["detail"]


def test_a_model_without_heatmaps_answers_404_with_the_reason(client: TestClient, auth: dict[str, str]) -> None:
    _put(client, "spot.jpg", auth, RED)
    wait_for_label(lambda: client.get("/detect/spot.jpg", headers=auth))
    response = client.get("/images/spot.jpg/heatmap", headers=auth)
    assert response.status_code == 404
    assert "gives no map" in response.json()["detail"]


def test_the_spots_report_shows_where_the_model_looked_beside_a_judged_photo(heatmap_client: TestClient) -> None:
    from pypdf import PdfReader

    owner = register_and_sign_in(heatmap_client, "ada@example.org")
    made = heatmap_client.post(
        "/spots", json={"name": "Mole", "bodySite": {"view": "back", "x": 0.3, "y": 0.2}}, headers=owner
    )
    spot_id = made.json()["id"]
    heatmap_client.put(f"/images/spot.jpg?spotId={spot_id}", content=_half_red_jpeg(), headers=owner)
    wait_for_label(lambda: heatmap_client.get("/detect/spot.jpg", headers=owner))

    report = heatmap_client.get(f"/spots/{spot_id}/report.pdf", headers=owner)
    assert report.status_code == 200
    page = PdfReader(io.BytesIO(report.content)).pages[0]
    assert len(page.images) == 2
    assert "where the model looked" in " ".join(page.extract_text().split())
