"""The photo gate's third outcome over HTTP (CONTRACT: "refused"), with the gated tiny model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import register_and_sign_in, wait_for_label
from images import GREEN, RED, image_bytes
from spotcheck.api import create_app
from spotcheck.classifier.labels import Classification
from spotcheck.config import Settings
from spotcheck.photocheck import RefusalReason, guidance_for
from spotcheck.recommendation import DISCLAIMER, recommendation_for
from spotcheck.runtime import build_runtime
from tiny_model import TINY_MODEL_VERSION

NOT_A_LESION = guidance_for(RefusalReason.NOT_A_LESION)
REFUSED_KEYS = {"fileName", "status", "reason", "message", "tip", "modelVersion", "checkedAt", "disclaimer", "spotId"}


@pytest.fixture
def gated_client(settings: Settings, gated_model_path: Path) -> Iterator[TestClient]:
    runtime = build_runtime(settings.updated(model_path=gated_model_path))
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def gated_auth(gated_client: TestClient) -> dict[str, str]:
    return register_and_sign_in(gated_client, "ada@example.org")


def _put(client: TestClient, auth: dict[str, str], colour: tuple[int, int, int]) -> None:
    response = client.put("/images/spot.jpg", content=image_bytes(colour), headers=auth)
    assert response.status_code == 202, response.text
    assert response.json() == {"fileName": "spot.jpg", "status": "pending"}  # the upload answer is unchanged


def test_detect_on_a_refused_photo_gives_the_reason_and_a_tip_and_no_verdict(
    gated_client: TestClient, gated_auth: dict[str, str]
) -> None:
    _put(gated_client, gated_auth, GREEN)
    result = wait_for_label(lambda: gated_client.get("/detect/spot.jpg", headers=gated_auth))
    assert result.status_code == 200, result.text
    body = result.json()
    assert set(body) == REFUSED_KEYS  # no classification, recommendation or probability, not even as null
    assert body["fileName"] == "spot.jpg"
    assert body["status"] == "refused"
    assert body["reason"] == "not-a-lesion"
    assert (body["message"], body["tip"]) == (NOT_A_LESION.message, NOT_A_LESION.tip)
    assert body["modelVersion"] == TINY_MODEL_VERSION
    assert body["checkedAt"]
    assert body["disclaimer"] == DISCLAIMER
    for label in Classification:
        assert recommendation_for(label) not in result.text
        assert label.value not in result.text


def test_the_list_shows_a_refused_photo_with_its_refusal(gated_client: TestClient, gated_auth: dict[str, str]) -> None:
    _put(gated_client, gated_auth, GREEN)
    wait_for_label(lambda: gated_client.get("/detect/spot.jpg", headers=gated_auth))
    (item,) = gated_client.get("/images", headers=gated_auth).json()["items"]
    assert item["status"] == "refused"
    assert item["refusal"] == {"reason": "not-a-lesion", "message": NOT_A_LESION.message, "tip": NOT_A_LESION.tip}
    assert (item["classification"], item["malignantProbability"], item["error"]) == (None, None, None)
    assert item["modelVersion"] == TINY_MODEL_VERSION and item["classifiedAt"] is not None


def test_replacing_a_refused_photo_with_a_usable_one_gives_a_recommendation(
    gated_client: TestClient, gated_auth: dict[str, str]
) -> None:
    _put(gated_client, gated_auth, GREEN)
    assert (
        wait_for_label(lambda: gated_client.get("/detect/spot.jpg", headers=gated_auth)).json()["status"] == "refused"
    )

    _put(gated_client, gated_auth, RED)
    result = wait_for_label(lambda: gated_client.get("/detect/spot.jpg", headers=gated_auth))
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["status"] == "done"
    assert body["classification"] == "MALIGNANT"
    assert body["recommendation"] == recommendation_for(Classification.MALIGNANT)
    assert "reason" not in body and "tip" not in body
    (item,) = gated_client.get("/images", headers=gated_auth).json()["items"]
    assert (item["status"], item["classification"], item["refusal"]) == ("done", "MALIGNANT", None)


def test_usable_photos_are_still_classified_behind_the_gate(
    gated_client: TestClient, gated_auth: dict[str, str]
) -> None:
    _put(gated_client, gated_auth, RED)
    body = wait_for_label(lambda: gated_client.get("/detect/spot.jpg", headers=gated_auth)).json()
    assert (body["status"], body["classification"]) == ("done", "MALIGNANT")
