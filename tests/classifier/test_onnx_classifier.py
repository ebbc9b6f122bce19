from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from images import BLUE, RED
from spotcheck.classifier import Classification, ModelMetadata, ModelUnavailableError, OnnxClassifier
from tiny_model import TINY_MODEL_VERSION, write_tiny_model


@pytest.fixture(scope="module")
def classifier(tiny_model_path: Path) -> OnnxClassifier:
    return OnnxClassifier(tiny_model_path)


def test_red_is_malignant_and_blue_benign(classifier: OnnxClassifier) -> None:
    red, blue = classifier.classify([Image.new("RGB", (64, 48), RED), Image.new("RGB", (32, 32), BLUE)])
    assert red.classification is Classification.MALIGNANT
    assert blue.classification is Classification.BENIGN
    assert 0.5 <= red.malignant_probability <= 1.0
    assert 0.0 <= blue.malignant_probability < 0.5
    assert red.model_version == blue.model_version == TINY_MODEL_VERSION


def test_version_comes_from_the_metadata(tmp_path: Path) -> None:
    assert OnnxClassifier(write_tiny_model(tmp_path, version="from-metadata-7")).version == "from-metadata-7"


def test_any_mode_and_size_is_accepted(classifier: OnnxClassifier) -> None:
    images = [Image.new("L", (10, 300), 128), Image.new("RGBA", (500, 20), (*RED, 0)), Image.new("P", (32, 32))]
    predictions = classifier.classify(images)
    assert len(predictions) == 3
    assert predictions[1].classification is Classification.MALIGNANT


def test_no_images_give_no_predictions(classifier: OnnxClassifier) -> None:
    assert classifier.classify([]) == []


def test_class_probabilities_are_a_distribution(classifier: OnnxClassifier) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, size=(5, 32, 32, 3), dtype=np.uint8)
    probabilities = classifier.class_probabilities(pixels)
    assert probabilities.shape == (5, len(classifier.metadata.classes))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    malignant = classifier.malignant_probabilities(pixels)
    np.testing.assert_allclose(malignant, probabilities[:, classifier.metadata.malignant_indices].sum(axis=1))


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"no model at .*absent\.onnx"):
        OnnxClassifier(tmp_path / "absent.onnx")


def test_missing_metadata_file(tmp_path: Path) -> None:
    model = write_tiny_model(tmp_path)
    model.with_suffix(".json").unlink()
    with pytest.raises(ModelUnavailableError, match=r"metadata tiny\.json"):
        OnnxClassifier(model)


def test_metadata_with_another_class_count(tmp_path: Path) -> None:
    model = write_tiny_model(tmp_path)
    meta = ModelMetadata.read(model.with_suffix(".json"))
    meta.model_copy(update={"classes": ("benign", "malignant"), "malignant_classes": frozenset({"malignant"})}).write(
        model.with_suffix(".json")
    )
    with pytest.raises(ModelUnavailableError, match="gives 7 outputs, its metadata names 2 classes"):
        OnnxClassifier(model)


def test_invalid_metadata(tmp_path: Path) -> None:
    model = write_tiny_model(tmp_path)
    model.with_suffix(".json").write_text('{"name": "no version"}')
    with pytest.raises(ModelUnavailableError, match="cannot load the model"):
        OnnxClassifier(model)


def test_corrupt_model_file(tmp_path: Path, tiny_model_path: Path) -> None:
    model = tmp_path / "broken.onnx"
    model.write_bytes(b"not an onnx graph")
    shutil.copy(tiny_model_path.with_suffix(".json"), model.with_suffix(".json"))
    with pytest.raises(ModelUnavailableError, match=r"cannot load the model .*broken\.onnx"):
        OnnxClassifier(model)
