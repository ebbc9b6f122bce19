"""Checks of the model that ships in the package (src/spotcheck/model/), once it is there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spotcheck.classifier import DIAGNOSES, MALIGNANT_DIAGNOSES, ModelMetadata, OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path

MAX_SHIPPED_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def packaged_model() -> Path:
    path = packaged_model_path()
    if not path.is_file():
        pytest.skip(f"no packaged model yet at {path}: copy a run's model.onnx and model.json there to ship one")
    return path


def test_metadata_says_how_to_use_the_model(packaged_model: Path) -> None:
    meta = ModelMetadata.read(packaged_model.with_suffix(".json"))
    assert meta.version
    assert 0.0 < meta.threshold < 1.0
    assert meta.temperature > 0.0
    assert (meta.input.height, meta.input.width) == (150, 200)
    assert meta.classes == DIAGNOSES
    assert meta.malignant_classes == MALIGNANT_DIAGNOSES
    for domain in ("dermatoscopic", "smartphone"):
        assert {
            f"test_roc_auc_{domain}",
            f"test_sensitivity_{domain}",
            f"test_specificity_{domain}",
        } <= meta.metrics.keys()


def test_the_shipped_model_has_a_photo_gate(packaged_model: Path) -> None:
    meta = ModelMetadata.read(packaged_model.with_suffix(".json"))
    assert meta.gate is not None and meta.gate.lesion_threshold is not None
    classifier = OnnxClassifier(packaged_model)
    pixels = np.random.default_rng(0).integers(0, 256, size=(2, 150, 200, 3), dtype=np.uint8)
    _, lesion = classifier.outputs(pixels)
    assert lesion is not None and lesion.shape == (2,)
    assert ((lesion >= 0) & (lesion <= 1)).all()


def test_model_and_metadata_fit_in_20_mb(packaged_model: Path) -> None:
    total = packaged_model.stat().st_size + packaged_model.with_suffix(".json").stat().st_size
    assert total <= MAX_SHIPPED_BYTES, f"{total:,} bytes"


def test_model_loads_and_answers_at_its_input_size(packaged_model: Path) -> None:
    classifier = OnnxClassifier(packaged_model)
    spec = classifier.metadata.input
    pixels = np.random.default_rng(0).integers(0, 256, size=(2, spec.height, spec.width, 3), dtype=np.uint8)
    probabilities = classifier.class_probabilities(pixels)
    assert probabilities.shape == (2, len(DIAGNOSES))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
