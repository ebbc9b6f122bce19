"""GET /model: the serving model's version and error rates, from its own metadata."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spotcheck.api.routes.model import model_facts
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import metadata_path_for
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.runtime import Runtime


def test_model_is_public_and_names_the_serving_model(client: TestClient, runtime: Runtime) -> None:
    response = client.get("/model")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == runtime.classifier.version
    assert set(body) == {"version", "threshold", "dermatoscopicThreshold", "flaggedHarmlessShare", "sensitivity"}
    assert 0.0 <= body["threshold"] <= 1.0


def test_shipped_model_figures_come_from_its_test_metrics() -> None:
    metadata = ModelMetadata.read(metadata_path_for(packaged_model_path()))
    facts = model_facts(metadata)
    assert facts.version == metadata.version
    assert facts.threshold == metadata.threshold
    # Photos the graph routes as dermatoscopic are judged at the route's own threshold.
    assert metadata.dermatoscopic_route is not None
    assert facts.dermatoscopic_threshold == metadata.dermatoscopic_route.threshold != facts.threshold
    assert set(facts.flagged_harmless_share) == {"dermatoscopic", "smartphone"}
    for kind in ("dermatoscopic", "smartphone"):
        specificity = metadata.metrics[f"test_specificity_{kind}"]
        assert facts.flagged_harmless_share[kind] == pytest.approx(1 - specificity, abs=1e-4)
        assert facts.sensitivity[kind] == pytest.approx(metadata.metrics[f"test_sensitivity_{kind}"], abs=1e-4)


def test_a_model_without_metrics_gives_no_figures(tiny_model_path: Path) -> None:
    metadata = ModelMetadata.read(metadata_path_for(tiny_model_path))
    facts = model_facts(metadata.model_copy(update={"metrics": {}}))
    assert (facts.flagged_harmless_share, facts.sensitivity) == ({}, {})
    assert facts.dermatoscopic_threshold is None  # no route


def test_model_is_documented(client: TestClient) -> None:
    assert "get" in client.get("/openapi.json").json()["paths"]["/model"]
