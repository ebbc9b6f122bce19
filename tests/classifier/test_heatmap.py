"""The heatmap output: computed as documented, carried by predictions, laid back onto the photo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image

from spotcheck.classifier import MALIGNANT_DIAGNOSES, InputSpec, ModelMetadata, OnnxClassifier, Prediction
from spotcheck.classifier.base import Heatmap, ModelUnavailableError
from spotcheck.classifier.heatmap import heatmap_image, heatmap_png
from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_INDICES
from spotcheck.classifier.metadata import HeatmapSpec
from spotcheck.classifier.onnx import HEATMAP_OUTPUT
from spotcheck.classifier.preprocess import normalise
from spotcheck.training.heatmap_output import HeatmapGraphError, add_heatmap_output

RED, BLUE = (230, 30, 30), (30, 30, 230)


def _half_and_half(left: tuple[int, int, int], right: tuple[int, int, int], size: int = 32) -> Image.Image:
    image = Image.new("RGB", (size, size), right)
    image.paste(Image.new("RGB", (size // 2, size), left), (0, 0))
    return image


def test_predictions_carry_a_map_bright_where_the_malignant_evidence_is(heatmap_model_path: Path) -> None:
    classifier = OnnxClassifier(heatmap_model_path)
    assert classifier.gives_heatmaps
    (prediction,) = classifier.classify_with_heatmaps([_half_and_half(RED, BLUE)])
    assert isinstance(prediction, Prediction) and prediction.heatmap is not None
    assert prediction.heatmap.weights.shape == (32, 32)
    assert prediction.heatmap.weights[:, :16].min() > 0.0
    assert prediction.heatmap.weights[:, 16:].max() == 0.0  # blue pushes toward benign: nothing left after the ReLU


def test_plain_classification_leaves_the_map_out_with_the_same_answer(heatmap_model_path: Path) -> None:
    """The workers classify without maps (the graph's extra nodes are not run); the answer is the same."""
    classifier = OnnxClassifier(heatmap_model_path)
    photo = _half_and_half(RED, BLUE)
    (plain,) = classifier.classify([photo])
    (mapped,) = classifier.classify_with_heatmaps([photo])
    assert isinstance(plain, Prediction) and plain.heatmap is None
    assert isinstance(mapped, Prediction) and mapped.heatmap is not None
    assert plain == mapped  # the map is left out of equality


def test_the_map_is_the_class_activation_map_weighted_toward_the_malignant_probability(
    heatmap_model_path: Path,
) -> None:
    """relu(sum_c p_c (1[c malignant] - p_malignant) W_c . F(y, x)), with the tiny model's pixels as F."""
    classifier = OnnxClassifier(heatmap_model_path)
    image = _half_and_half((200, 120, 90), (90, 40, 160))
    pixels = np.asarray(image)[None]
    (prediction,) = classifier.classify_with_heatmaps([image])
    assert isinstance(prediction, Prediction) and prediction.heatmap is not None

    weights = onnx.numpy_helper.to_array(
        next(w for w in onnx.load(str(heatmap_model_path)).graph.initializer if w.name == "w")
    )  # (3 channels, classes)
    probabilities = classifier.class_probabilities(pixels)[0]
    malignant = np.isin(np.arange(len(DIAGNOSES)), MALIGNANT_INDICES)
    toward = probabilities * (malignant - probabilities[malignant].sum())
    features = normalise(pixels, classifier.metadata.input)[0]  # (3, H, W)
    expected = np.maximum(np.einsum("khw,kc,c->hw", features, weights, toward), 0.0)
    np.testing.assert_allclose(prediction.heatmap.weights, expected, rtol=1e-4, atol=1e-7)
    assert expected.max() > 0


def test_models_without_the_output_answer_without_a_map(tiny_model_path: Path) -> None:
    classifier = OnnxClassifier(tiny_model_path)
    assert not classifier.gives_heatmaps
    (prediction,) = classifier.classify_with_heatmaps([_half_and_half(RED, BLUE)])
    assert isinstance(prediction, Prediction) and prediction.heatmap is None


def test_metadata_that_describes_a_heatmap_the_graph_lacks_is_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    heatmap_meta = ModelMetadata.read(tiny_model_path.with_suffix(".json")).model_copy(
        update={"heatmap": HeatmapSpec(feature_maps=("pixels",))}
    )
    path = tmp_path / "tiny.onnx"
    path.write_bytes(tiny_model_path.read_bytes())
    heatmap_meta.write(path.with_suffix(".json"))
    with pytest.raises(ModelUnavailableError, match="no 'heatmap' output"):
        OnnxClassifier(path)


def test_a_graph_gets_the_output_once_and_only_with_a_pooled_linear_head(tiny_model_path: Path) -> None:
    model = onnx.load(str(tiny_model_path))
    add_heatmap_output(model, classes=len(DIAGNOSES), malignant_indices=MALIGNANT_INDICES)
    assert [o.name for o in model.graph.output][-1] == HEATMAP_OUTPUT
    with pytest.raises(HeatmapGraphError, match="already has"):
        add_heatmap_output(model, classes=len(DIAGNOSES), malignant_indices=MALIGNANT_INDICES)

    headless = onnx.load(str(tiny_model_path))
    pool = next(n for n in headless.graph.node if n.op_type == "GlobalAveragePool")
    pool.op_type = "GlobalMaxPool"
    with pytest.raises(HeatmapGraphError, match="no global average pooling"):
        add_heatmap_output(headless, classes=len(DIAGNOSES), malignant_indices=MALIGNANT_INDICES)


CROP = InputSpec(height=150, width=200, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), fit="crop")
STRETCH = CROP.model_copy(update={"fit": "stretch"})


def _hot_corner(fit: InputSpec = CROP) -> Heatmap:
    weights = np.zeros((5, 7), dtype=np.float32)
    weights[0, 0] = 3.0  # the top-left of what the model was shown
    return Heatmap(weights, fit)


def _hottest(image: Image.Image) -> tuple[int, int]:
    grey = np.asarray(image)
    rows, columns = np.nonzero(grey == grey.max())
    return int(rows.mean()), int(columns.mean())


def test_the_map_is_laid_back_onto_the_photo_as_the_model_saw_it() -> None:
    landscape = heatmap_image(_hot_corner(), (800, 450))  # cropped to 600 x 450 in the middle
    assert landscape.size == (800, 450) and landscape.mode == "L"
    grey = np.asarray(landscape)
    assert grey.max() == 255 and grey[:, :100].max() == 0 and grey[:, 700:].max() == 0
    row, column = _hottest(landscape)
    assert row < 100 and 100 <= column < 200

    # A portrait photo was turned a quarter counter-clockwise for the model: its top-left was the photo's top-right.
    portrait = heatmap_image(_hot_corner(), (300, 600))
    assert portrait.size == (300, 600)
    row, column = _hottest(portrait)
    assert 100 <= row < 200 and column > 200

    stretched = heatmap_image(_hot_corner(STRETCH), (640, 480))
    row, column = _hottest(stretched)
    assert row < 100 and column < 100


def test_a_map_without_weight_is_black_and_the_png_decodes() -> None:
    import io

    png = heatmap_png(Heatmap(np.zeros((5, 7), dtype=np.float32), CROP), (120, 90))
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (120, 90))
        assert np.asarray(image).max() == 0


def test_malignant_classes_are_the_labels_ones() -> None:
    assert {DIAGNOSES[i] for i in MALIGNANT_INDICES} == MALIGNANT_DIAGNOSES
