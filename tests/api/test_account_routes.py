"""The account's data: what it is, the export zip, and deletion that leaves nothing behind (local and S3 stores)."""

from __future__ import annotations

import hashlib
import io
import json
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr
from sqlalchemy import func, select

import s3_server
from conftest import CHEAP_PASSWORD_HASH, TEST_SECRET, register_and_sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from s3_server import S3Endpoint
from spotcheck.accounts import AccountData
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.db.tables import image_answers, images, jobs, sessions, spot_shares, spots, users
from spotcheck.runtime import Runtime, build_runtime
from spotcheck.spots import ShareService, SpotService

s3_endpoint = s3_server.s3_endpoint

PASSWORD = "correct horse battery"


def _fill(client: TestClient, auth: dict[str, str]) -> tuple[str, str]:
    """A spot with two labelled photos, answers and a share link; a photo outside it. (spot id, share token)"""
    spot_id = client.post("/spots", json={"name": "Left shoulder mole"}, headers=auth).json()["id"]
    for name, colour in (("one.jpg", BLUE), ("two.jpg", RED)):
        assert (
            client.put(f"/images/{name}?spotId={spot_id}", content=image_bytes(colour), headers=auth).status_code == 202
        )
        wait_for_label(lambda name=name: client.get(f"/detect/{name}", headers=auth))
    client.put("/images/loose.jpg", content=image_bytes(), headers=auth)
    client.put("/images/one.jpg/answers", json={"bleeds": True}, headers=auth)
    token = client.post(f"/spots/{spot_id}/shares", headers=auth).json()["token"]
    return spot_id, token


def test_the_account_says_who_it_is(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/account", headers=auth).json()
    assert body["email"] == "ada@example.org" and body["signInMethod"] == "password" and body["createdAt"]


def test_the_export_holds_every_image_and_a_json_record(client: TestClient, auth: dict[str, str]) -> None:
    spot_id, token = _fill(client, auth)
    export = client.get("/account/export", headers=auth)
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        names = set(archive.namelist())
        assert names == {"images/one.jpg", "images/two.jpg", "images/loose.jpg", "spotcheck-export.json"}
        assert archive.read("images/two.jpg") == client.get("/images/two.jpg", headers=auth).content
        record = json.loads(archive.read("spotcheck-export.json"))
    assert record["account"]["email"] == "ada@example.org"
    assert [s["id"] for s in record["spots"]] == [spot_id]
    by_name = {i["fileName"]: i for i in record["images"]}
    assert by_name["two.jpg"]["classification"] == "MALIGNANT" and by_name["two.jpg"]["spotId"] == spot_id
    assert by_name["one.jpg"]["answers"]["bleeds"] is True and by_name["loose.jpg"]["spotId"] is None
    assert len(record["shares"]) == 1 and token not in export.content.decode("latin-1")


def _counts(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (users, sessions, images, jobs, spots, spot_shares, image_answers)
        }


def _delete_everything(client: TestClient, runtime: Runtime) -> tuple[list[str], list[str]]:
    """Fill an account, delete it, check what answers afterwards: its keys before, and those left after."""
    auth = register_and_sign_in(client, "ada@example.org", PASSWORD)
    keeper = register_and_sign_in(client, "grace@example.org", PASSWORD)
    client.put("/images/kept.jpg", content=image_bytes(), headers=keeper)
    _, token = _fill(client, auth)
    keys_before = [i.key for i in runtime.store.list("users/") if not i.key.endswith("/kept.jpg")]
    assert len(keys_before) == 3

    wrong = client.request("DELETE", "/account", json={"password": "not it at all"}, headers=auth)
    assert wrong.status_code == 403 and wrong.json()["detail"] == "That password is not right."
    assert client.request("DELETE", "/account", json={}, headers=auth).status_code == 422
    deleted = client.request("DELETE", "/account", json={"password": PASSWORD}, headers=auth)
    assert deleted.status_code == 204, deleted.text

    assert client.get("/images", headers=auth).status_code == 401
    assert client.get(f"/shared/{token}").status_code == 404
    signed_in = client.post("/auth/token", data={"username": "ada@example.org", "password": PASSWORD})
    assert signed_in.status_code == 401
    counts = _counts(runtime)
    assert counts["users"] == 1 and counts["spots"] == counts["spot_shares"] == counts["image_answers"] == 0
    assert counts["images"] == 1  # grace's
    assert client.get("/images/kept.jpg", headers=keeper).status_code == 200
    return keys_before, [i.key for i in runtime.store.list("users/") if not i.key.endswith("/kept.jpg")]


def test_deleting_the_account_leaves_nothing_in_the_local_store(client: TestClient, runtime: Runtime) -> None:
    before, left = _delete_everything(client, runtime)
    assert left == []
    # The files themselves (named by the SHA-256 of their key) are gone from the disk.
    (kept,) = [i.key for i in runtime.store.list("users/")]
    on_disk = {p.name for p in (runtime.settings.data_dir / "objects").iterdir()}
    assert on_disk == {hashlib.sha256(kept.encode()).hexdigest()}
    assert not {hashlib.sha256(key.encode()).hexdigest() for key in before} & on_disk


bucket = s3_server.uncreated_bucket  # a name SpotCheck's S3 store creates at start-up


@pytest.mark.s3
def test_deleting_the_account_removes_its_objects_from_s3(
    s3_endpoint: S3Endpoint, bucket: str, tmp_path: Path, tiny_model_path: Path
) -> None:
    settings = s3_endpoint.settings(
        bucket, data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=SecretStr(TEST_SECRET)
    )
    runtime = build_runtime(settings, password_hash=CHEAP_PASSWORD_HASH)
    with TestClient(create_app(runtime)) as client:
        assert _delete_everything(client, runtime)[1] == []
    # Seen by a plain S3 client, not through SpotCheck's store: only grace's image is left.
    raw: Any = s3_endpoint.client()
    listed = raw.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [o["Key"].rsplit("/", 1)[-1] for o in listed] == ["kept.jpg"]


def test_wrong_passwords_for_deletion_count_as_failed_sign_ins(settings: Settings) -> None:
    settings = settings.updated(sign_in_failure_limit_per_account="2/15 minutes")
    with TestClient(create_app(build_runtime(settings, password_hash=CHEAP_PASSWORD_HASH))) as client:
        auth = register_and_sign_in(client, "ada@example.org", PASSWORD)
        for _ in range(2):
            wrong = client.request("DELETE", "/account", json={"password": "not it at all"}, headers=auth)
            assert wrong.status_code == 403
        refused = client.request("DELETE", "/account", json={"password": PASSWORD}, headers=auth)
        assert refused.status_code == 429 and "retry-after" in refused.headers
        assert client.get("/account", headers=auth).status_code == 200  # still there


def _noise_jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (600, 800, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=95)
    return out.getvalue()


def test_the_export_holds_one_photo_in_memory_at_a_time(
    client: TestClient, auth: dict[str, str], runtime: Runtime
) -> None:
    for number in range(12):
        assert client.put(f"/images/{number}.jpg", content=_noise_jpeg(number), headers=auth).status_code == 202
    # tracemalloc counts every thread's allocations: the workers' decodes must be over first.
    for number in range(12):
        wait_for_label(lambda number=number: client.get(f"/detect/{number}.jpg", headers=auth))
    user_id = runtime.accounts.authenticate(email="ada@example.org", password=PASSWORD).id
    spots = SpotService(engine=runtime.engine, gallery=runtime.gallery, store=runtime.store)
    data = AccountData(
        engine=runtime.engine,
        store=runtime.store,
        gallery=runtime.gallery,
        spots=spots,
        shares=ShareService(engine=runtime.engine),
        accounts=runtime.accounts,
        sessions=runtime.sessions,
    )
    tracemalloc.start()
    try:
        with data.export(user_id=user_id) as archive:
            _, peak = tracemalloc.get_traced_memory()
            size = len(archive.read())
    finally:
        tracemalloc.stop()
    assert size > 3_000_000
    assert peak < size / 3, (peak, size)
    streamed = client.get("/account/export", headers=auth)
    assert int(streamed.headers["content-length"]) == len(streamed.content) > 3_000_000
