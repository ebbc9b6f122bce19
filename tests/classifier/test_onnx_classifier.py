from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from images import BLUE, GREEN, RED
from spotcheck.classifier import (
    Classification,
    ModelMetadata,
    ModelUnavailableError,
    OnnxClassifier,
    Prediction,
    Refusal,
)
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.photocheck import GateSpec, RefusalReason
from tiny_model import OPEN_GATE, TINY_MODEL_VERSION, write_tiny_model


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


def test_metadata_with_another_input_size(tmp_path: Path) -> None:
    # The shipped graph has a fixed input: a metadata file of a 300x225 model does not fit it.
    model = tmp_path / "shipped.onnx"
    shutil.copy(packaged_model_path(), model)
    meta = ModelMetadata.read(packaged_model_path().with_suffix(".json"))
    wider = meta.input.model_copy(update={"height": 225, "width": 300})
    meta.model_copy(update={"input": wider}).write(model.with_suffix(".json"))
    with pytest.raises(ModelUnavailableError, match="takes images of height 150, its metadata says 225"):
        OnnxClassifier(model)


def test_a_zero_standard_deviation_is_invalid_metadata(tmp_path: Path) -> None:
    model = write_tiny_model(tmp_path)
    text = model.with_suffix(".json").read_text()
    model.with_suffix(".json").write_text(re.sub(r'"std": \[[^\]]*\]', '"std": [0.0, 0.0, 0.0]', text))
    with pytest.raises(ModelUnavailableError, match="cannot load the model"):
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


# --- the photo gate -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gated(gated_model_path: Path) -> OnnxClassifier:
    return OnnxClassifier(gated_model_path)


def _textured(colour: tuple[int, int, int], *, gain: float = 1.0, size: tuple[int, int] = (400, 300)) -> Image.Image:
    """Hard-edged blocks of random brightness in ``colour``, with fine noise: a sharp photo (gain < 1 darkens it)."""
    width, height = size
    rng = np.random.default_rng(7)
    shade = np.kron(rng.uniform(0.6, 1.0, size=(height // 10, width // 10)), np.ones((10, 10)))
    shade = shade + rng.normal(0, 0.03, size=(height, width))
    pixels = shade[:, :, None] * np.array(colour, dtype=np.float64) * gain
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def test_the_lesion_head_refuses_what_is_not_a_lesion(gated: OnnxClassifier) -> None:
    red, green, blue = gated.classify([Image.new("RGB", (64, 48), c) for c in (RED, GREEN, BLUE)])
    assert green == Refusal(RefusalReason.NOT_A_LESION, TINY_MODEL_VERSION)
    assert isinstance(red, Prediction) and red.classification is Classification.MALIGNANT
    assert isinstance(blue, Prediction) and blue.classification is Classification.BENIGN


def test_a_photo_below_the_least_side_is_refused_as_too_small(gated: OnnxClassifier) -> None:
    assert OPEN_GATE.min_side == 8
    small, enough = gated.classify([Image.new("RGB", (200, 7), RED), Image.new("RGB", (8, 8), RED)])
    assert small == Refusal(RefusalReason.TOO_SMALL, TINY_MODEL_VERSION)
    assert isinstance(enough, Prediction)


def test_the_default_quality_limits_refuse_dark_bright_blurry_and_small(tmp_path: Path) -> None:
    classifier = OnnxClassifier(write_tiny_model(tmp_path, gate=GateSpec(lesion_threshold=0.5)))
    photos = {
        "sharp": _textured(RED),
        "dark": _textured(RED, gain=0.1),
        "bright": Image.new("RGB", (400, 300), (255, 255, 255)),
        "flat": Image.new("RGB", (400, 300), RED),
        "small": _textured(RED, size=(120, 90)),
        "sharp green": _textured(GREEN),
    }
    sharp, dark, bright, flat, small, green = classifier.classify(list(photos.values()))
    assert isinstance(sharp, Prediction) and sharp.classification is Classification.MALIGNANT
    assert dark == Refusal(RefusalReason.TOO_DARK, TINY_MODEL_VERSION)
    assert bright == Refusal(RefusalReason.TOO_BRIGHT, TINY_MODEL_VERSION)
    assert flat == Refusal(RefusalReason.BLURRY, TINY_MODEL_VERSION)
    assert small == Refusal(RefusalReason.TOO_SMALL, TINY_MODEL_VERSION)  # 90 px < the default 96
    assert green == Refusal(RefusalReason.NOT_A_LESION, TINY_MODEL_VERSION)


def test_quality_refusals_are_decided_before_the_model(gated: OnnxClassifier) -> None:
    assert gated.prepare(Image.new("RGB", (7, 7), GREEN)) == Refusal(RefusalReason.TOO_SMALL, TINY_MODEL_VERSION)
    pixels = gated.prepare(Image.new("RGB", (64, 48), GREEN))  # not a lesion: only the model can tell
    assert isinstance(pixels, np.ndarray) and pixels.shape == (32, 32, 3) and pixels.dtype == np.uint8


def test_prepare_then_assess_gives_what_classify_gives(gated: OnnxClassifier) -> None:
    photos = [
        Image.new("RGB", (64, 48), RED),
        Image.new("RGB", (5, 300), RED),
        Image.new("RGB", (64, 48), GREEN),
        Image.new("RGB", (48, 64), BLUE),
        Image.new("L", (40, 40), 128),
    ]
    assessed = gated.assess([gated.prepare(photo) for photo in photos])
    assert assessed == gated.classify(photos)
    assert [type(a) for a in assessed] == [Prediction, Refusal, Refusal, Prediction, Prediction]


def test_assess_keeps_the_order_when_every_photo_is_refused_before_the_model(gated: OnnxClassifier) -> None:
    refused = [gated.prepare(Image.new("RGB", (4, 4), c)) for c in (RED, BLUE)]
    assert gated.assess(refused) == [Refusal(RefusalReason.TOO_SMALL, TINY_MODEL_VERSION)] * 2


def test_without_a_gate_green_is_classified_not_refused(classifier: OnnxClassifier) -> None:
    (green,) = classifier.classify([Image.new("RGB", (4, 4), GREEN)])
    assert isinstance(green, Prediction)


def test_a_lesion_threshold_needs_the_lesion_output(tmp_path: Path) -> None:
    model = write_tiny_model(tmp_path)  # no lesion_probability output
    meta = ModelMetadata.read(model.with_suffix(".json"))
    meta.model_copy(update={"gate": GateSpec(lesion_threshold=0.5)}).write(model.with_suffix(".json"))
    with pytest.raises(
        ModelUnavailableError, match=r"sets a lesion threshold, but .*tiny\.onnx has no 'lesion_probability'"
    ):
        OnnxClassifier(model)


def test_a_gate_without_a_lesion_threshold_works_on_a_graph_without_the_output(tmp_path: Path) -> None:
    model = write_tiny_model(tmp_path)
    meta = ModelMetadata.read(model.with_suffix(".json"))
    meta.model_copy(update={"gate": OPEN_GATE.model_copy(update={"lesion_threshold": None})}).write(
        model.with_suffix(".json")
    )
    small, green = OnnxClassifier(model).classify([Image.new("RGB", (4, 4), GREEN), Image.new("RGB", (64, 48), GREEN)])
    assert small == Refusal(RefusalReason.TOO_SMALL, TINY_MODEL_VERSION)
    assert isinstance(green, Prediction)
