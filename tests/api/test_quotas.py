"""Per-account quotas of photos and spots: a plain 409 at the limit; replacing a photo still works."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import TEST_SECRET, register_and_sign_in
from images import BLUE, RED, image_bytes
from spotcheck.api import create_app
from spotcheck.config import Settings
from spotcheck.runtime import build_runtime


@pytest.fixture
def small(tmp_path: Path, tiny_model_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path / "data",
        model_path=tiny_model_path,
        jwt_secret=TEST_SECRET,
        max_photos_per_account=2,
        max_spots_per_account=2,
    )
    with TestClient(create_app(build_runtime(settings))) as client:
        yield client


def test_photos_beyond_the_quota_get_409_but_a_replacement_is_stored(small: TestClient) -> None:
    auth = register_and_sign_in(small, "ada@example.org")
    for name in ("one.jpg", "two.jpg"):
        assert small.put(f"/images/{name}", content=image_bytes(BLUE), headers=auth).status_code == 202
    refused = small.put("/images/three.jpg", content=image_bytes(BLUE), headers=auth)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "This account holds 2 photos, the most it may keep: delete some before uploading new ones."
    }
    posted = small.post("/images", files={"file": ("x.jpg", image_bytes(RED), "image/jpeg")}, headers=auth)
    assert posted.status_code == 409
    assert small.put("/images/two.jpg", content=image_bytes(RED), headers=auth).status_code == 202
    assert small.get("/images", headers=auth).json()["total"] == 2
    other = register_and_sign_in(small, "grace@example.org")
    assert small.put("/images/three.jpg", content=image_bytes(BLUE), headers=other).status_code == 202


def test_spots_beyond_the_quota_get_409(small: TestClient) -> None:
    auth = register_and_sign_in(small, "ada@example.org")
    for number in range(2):
        assert small.post("/spots", json={"name": f"Spot {number}"}, headers=auth).status_code == 201
    refused = small.post("/spots", json={"name": "One more"}, headers=auth)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "This account has 2 spots, the most it may keep: delete one before adding another."
    }
    assert small.get("/spots", headers=auth).json()["total"] == 2
