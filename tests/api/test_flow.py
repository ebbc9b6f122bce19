from __future__ import annotations

from fastapi.testclient import TestClient

from conftest import wait_for_label
from images import BLUE, RED, image_bytes
from spotcheck.classifier.labels import Classification
from spotcheck.recommendation import recommendation_for
from tiny_model import TINY_MODEL_VERSION


def test_upload_then_detect_returns_the_recommendation(client: TestClient, auth: dict[str, str]) -> None:
    response = client.put("/images/mole.jpg", content=image_bytes(RED), headers=auth)
    assert response.status_code == 202
    assert response.json() == {"fileName": "mole.jpg", "status": "pending"}
    assert response.headers["location"] == "/detect/mole.jpg"

    result = wait_for_label(lambda: client.get("/detect/mole.jpg", headers=auth))
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["classification"] == "MALIGNANT"
    assert body["recommendation"] == recommendation_for(Classification.MALIGNANT)
    assert body["modelVersion"] == TINY_MODEL_VERSION
    assert 0.5 <= body["malignantProbability"] <= 1.0
    assert body["threshold"] == client.get("/model").json()["threshold"]  # the line it was judged at


def test_benign_image_gets_the_benign_text(client: TestClient, auth: dict[str, str]) -> None:
    files = {"file": ("spot.png", image_bytes(BLUE, fmt="PNG"), "image/png")}
    response = client.post("/images", files=files, data={"fileName": "spot.png"}, headers=auth)
    assert response.status_code == 202, response.text
    result = wait_for_label(lambda: client.get("/detect/spot.png", headers=auth))
    assert result.json()["classification"] == "BENIGN"
    assert result.json()["recommendation"].startswith("Our analysis suggests that this lesion is likely benign.")
