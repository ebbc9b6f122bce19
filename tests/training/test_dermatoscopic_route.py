"""The dermatoscopic route: photos the kind head routes get the mean of two networks, every other
photo's outputs stay exactly as they were, and the classifier decides routed photos at their own
threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from PIL import Image
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from smoke_run import load_script
from tests.tiny_model import write_tiny_model

from spotcheck.classifier.base import ModelUnavailableError, Prediction
from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_INDICES, Classification
from spotcheck.classifier.metadata import DermatoscopicRoute, ModelMetadata
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.training.dermatoscopic_route import (
    DERMATOSCOPIC_OUTPUT,
    KindHead,
    RouteGraphError,
    add_dermatoscopic_route,
    fit_kind_head,
    tap_names,
    threshold_with_confidence,
)
from spotcheck.training.heatmap_output import HeatmapGraphError
from spotcheck.training.metrics import screening_metrics, wilson_interval
from spotcheck.training.route_heatmap import add_expert_to_heatmap

_MEL = DIAGNOSES.index("mel")
# The tiny model's lesion head reads the normalised channel means: red minus blue routes a photo.
_RED_IS_DERMATOSCOPIC = KindHead(weight=np.array([10.0, 0.0, -10.0], dtype=np.float32), bias=-1.0)
_TEMPERATURE = 0.8


def _expert() -> onnx.ModelProto:
    """A network of another opinion: it lowers "mel" the redder the photo is."""
    weights = np.zeros((3, len(DIAGNOSES)), dtype=np.float32)
    weights[0, _MEL] = -20.0
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
            helper.make_node("Reshape", ["pooled", "flat"], ["features"]),  # (N, -1): undefined for no rows
            helper.make_node("Gemm", ["features", "w", "b"], ["logits"]),
        ],
        "expert",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(DIAGNOSES)])],
        [
            numpy_helper.from_array(weights, "w"),
            numpy_helper.from_array(np.zeros(len(DIAGNOSES), dtype=np.float32), "b"),
            numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "flat"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _photos(*colours: tuple[int, int, int]) -> np.ndarray:
    """Flat photos, normalised as the tiny model's metadata says (mean 0.5, std 0.5), (N, 3, 32, 32)."""
    pixels = np.stack([np.full((32, 32, 3), colour, dtype=np.float32) for colour in colours])
    return np.ascontiguousarray(((pixels / 255.0 - 0.5) / 0.5).transpose(0, 3, 1, 2))


RED, BLUE, GREY = (230, 30, 30), (30, 30, 230), (128, 128, 128)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny_model(tmp_path / "tiny", gate=True)


def _routed(tiny: Path) -> onnx.ModelProto:
    return add_dermatoscopic_route(
        onnx.load(tiny), _expert(), head=_RED_IS_DERMATOSCOPIC, cut=0.5, temperature=_TEMPERATURE
    )


def _run(model: onnx.ModelProto, pixels: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, {session.get_inputs()[0].name: pixels}), strict=True))


def test_unrouted_photos_keep_every_output_exactly(tiny: Path) -> None:
    pixels = _photos(BLUE, GREY, RED)
    before, after = _run(onnx.load(tiny), pixels), _run(_routed(tiny), pixels)
    routed = after[DERMATOSCOPIC_OUTPUT] >= 0.5
    assert routed.tolist() == [False, False, True]
    assert np.array_equal(before["probabilities"][~routed], after["probabilities"][~routed])
    assert np.array_equal(before["lesion_probability"], after["lesion_probability"])


def test_routed_photos_get_both_networks_mean_at_the_route_temperature(tiny: Path) -> None:
    pixels = _photos(RED, BLUE)
    model = onnx.load(tiny)
    logits_name, _features = tap_names(model)
    model.graph.output.append(helper.make_empty_tensor_value_info(logits_name))
    first = _run(model, pixels)[logits_name]
    expert = _run(_expert(), pixels)["logits"]
    after = _run(_routed(tiny), pixels)["probabilities"]
    expected = softmax((first[0] + expert[0]) / 2 / _TEMPERATURE)
    np.testing.assert_allclose(after[0], expected, rtol=1e-5, atol=1e-6)
    assert after[0][MALIGNANT_INDICES].sum() < 0.5 < softmax(first[0])[MALIGNANT_INDICES].sum()


@pytest.mark.parametrize("colours", [(BLUE, GREY), (RED, RED), (RED,), (BLUE,)])
def test_batches_with_no_routed_photo_or_only_routed_ones_run(tiny: Path, colours: tuple) -> None:
    outputs = _run(_routed(tiny), _photos(*colours))
    assert outputs["probabilities"].shape == (len(colours), len(DIAGNOSES))
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)


def test_a_graph_without_a_photo_gate_or_with_a_route_already_is_refused(tmp_path: Path, tiny: Path) -> None:
    ungated = write_tiny_model(tmp_path / "ungated")
    with pytest.raises(RouteGraphError, match="photo gate"):
        add_dermatoscopic_route(onnx.load(ungated), _expert(), head=_RED_IS_DERMATOSCOPIC, cut=0.5, temperature=1.0)
    with pytest.raises(RouteGraphError, match="already"):
        add_dermatoscopic_route(_routed(tiny), _expert(), head=_RED_IS_DERMATOSCOPIC, cut=0.5, temperature=1.0)


def test_the_kind_head_folds_its_scaling_into_the_weights() -> None:
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(3.0, 0.8, (200, 4)), rng.normal(-1.0, 0.5, (200, 4))])
    kind = np.repeat([True, False], 200)
    head = fit_kind_head(features, kind, regularisation=0.1)
    reference = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000, class_weight="balanced")).fit(
        features, kind.astype(int)
    )
    np.testing.assert_allclose(head.probability(features), reference.predict_proba(features)[:, 1], atol=1e-5)
    assert (head.probability(features) >= 0.5).tolist() == kind.tolist()


def test_the_threshold_keeps_the_sensitivity_bound_at_the_goal_and_no_higher_threshold_does() -> None:
    scores = np.linspace(0.01, 0.99, 200)
    threshold = threshold_with_confidence(scores, goal=0.93)
    flagged = int((scores >= threshold).sum())
    assert wilson_interval(flagged, 200)[0] >= 0.93
    assert wilson_interval(flagged - 1, 200)[0] < 0.93
    assert np.sort(scores)[::-1][flagged] < threshold < np.sort(scores)[::-1][flagged - 1]


def test_no_threshold_reaches_the_goal_on_too_few_cancers() -> None:
    with pytest.raises(ValueError, match="lower bound"):
        threshold_with_confidence(np.array([0.2, 0.4, 0.6, 0.8, 0.9]), goal=0.93)


def _ship(tiny: Path, directory: Path, *, route_threshold: float) -> Path:
    directory.mkdir()
    path = directory / "routed.onnx"
    onnx.save(_routed(tiny), path)
    metadata = ModelMetadata.read(tiny.with_suffix(".json"))
    route = DermatoscopicRoute(cut=0.5, threshold=route_threshold, temperature=_TEMPERATURE, expert="test expert")
    metadata.model_copy(update={"dermatoscopic_route": route}).write(path.with_suffix(".json"))
    return path


def _flat(colour: tuple[int, int, int]) -> np.ndarray:
    return np.full((32, 32, 3), colour, dtype=np.uint8)


def test_the_classifier_decides_a_routed_photo_at_the_route_threshold(tmp_path: Path, tiny: Path) -> None:
    # The routed red photo's malignant probability is low; at a route threshold of 0 it is flagged,
    # at 1 it is not, while the unrouted blue one keeps the model's own threshold (0.5): BENIGN.
    for route_threshold, expected in ((0.0, Classification.MALIGNANT), (1.0, Classification.BENIGN)):
        classifier = OnnxClassifier(_ship(tiny, tmp_path / f"at-{route_threshold}", route_threshold=route_threshold))
        red, blue = classifier.assess([_flat(RED), _flat(BLUE)])
        assert isinstance(red, Prediction) and isinstance(blue, Prediction)
        assert red.classification is expected
        assert blue.classification is Classification.BENIGN
        assert (red.threshold, blue.threshold) == (route_threshold, 0.5)  # each label says which line judged it
        probabilities, thresholds = classifier.judge(np.stack([_flat(RED), _flat(BLUE)]))
        assert thresholds.tolist() == [route_threshold, 0.5]
        assert probabilities.shape == (2, len(DIAGNOSES))


def test_metadata_with_a_route_the_graph_lacks_is_refused(tmp_path: Path, tiny: Path) -> None:
    metadata = ModelMetadata.read(tiny.with_suffix(".json"))
    route = DermatoscopicRoute(cut=0.5, threshold=0.1, temperature=1.0, expert="test expert")
    metadata.model_copy(update={"dermatoscopic_route": route}).write(tiny.with_suffix(".json"))
    with pytest.raises(ModelUnavailableError, match="dermatoscopic route"):
        OnnxClassifier(tiny)


def test_figures_at_each_images_own_threshold_name_every_threshold() -> None:
    y = np.array([1, 1, 0, 0])
    scores = np.array([0.3, 0.05, 0.2, 0.01])
    thresholds = np.array([0.1, 0.04, 0.1, 0.1])
    figures = screening_metrics(y, scores, threshold=thresholds, bootstrap_samples=10, seed=0)
    assert figures["sensitivity"] == 1.0  # 0.05 is flagged at its own 0.04, not at the common 0.1
    assert figures["specificity"] == 0.5
    assert figures["threshold"] == 0.1
    assert figures["thresholds"] == {"0.0400": 1, "0.1000": 3}


def _patchy(colour: tuple[int, int, int], patch: tuple[int, int, int]) -> np.ndarray:
    """A photo of ``colour`` with a square of ``patch`` in its top left quarter, normalised, (1, 3, 32, 32)."""
    pixels = np.full((32, 32, 3), colour, dtype=np.float32)
    pixels[:16, :16] = patch
    return np.ascontiguousarray(((pixels / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None])


def _class_maps(pixels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A network whose last feature map is its input: each class's map, (N, h, w, classes)."""
    return np.einsum("nchw,ck->nhwk", pixels, weights)


def _routed_with_maps(tiny_with_heatmap: Path) -> onnx.ModelProto:
    model = add_dermatoscopic_route(
        onnx.load(tiny_with_heatmap), _expert(), head=_RED_IS_DERMATOSCOPIC, cut=0.5, temperature=_TEMPERATURE
    )
    add_expert_to_heatmap(model, classes=len(DIAGNOSES))
    return model


def test_a_routed_photos_heatmap_is_both_networks_maps_and_an_unrouted_ones_is_unchanged(tmp_path: Path) -> None:
    tiny_with_heatmap = write_tiny_model(tmp_path / "tiny", gate=True, heatmap=True)
    pixels = np.concatenate([_patchy(RED, BLUE), _patchy(BLUE, RED), _patchy(RED, GREY)])
    first_only = add_dermatoscopic_route(
        onnx.load(tiny_with_heatmap), _expert(), head=_RED_IS_DERMATOSCOPIC, cut=0.5, temperature=_TEMPERATURE
    )
    before, after = _run(first_only, pixels), _run(_routed_with_maps(tiny_with_heatmap), pixels)
    routed = after[DERMATOSCOPIC_OUTPUT] >= 0.5
    assert routed.tolist() == [True, False, True]
    for output in before:
        if output != "heatmap":
            assert np.array_equal(before[output], after[output]), output
    assert np.array_equal(before["heatmap"][~routed], after["heatmap"][~routed])

    first_weights = numpy_helper.to_array(
        next(w for w in onnx.load(tiny_with_heatmap).graph.initializer if w.name == "w")
    )
    expert_weights = numpy_helper.to_array(next(w for w in _expert().graph.initializer if w.name == "w"))
    maps = (_class_maps(pixels, first_weights) + _class_maps(pixels, expert_weights)) / 2
    probabilities = after["probabilities"]
    p_malignant = probabilities[:, MALIGNANT_INDICES].sum(axis=1, keepdims=True)
    toward = probabilities * (np.isin(np.arange(len(DIAGNOSES)), MALIGNANT_INDICES) - p_malignant)
    expected = np.maximum(np.einsum("nhwk,nk->nhw", maps, toward), 0.0)
    np.testing.assert_allclose(after["heatmap"][routed], expected[routed], rtol=1e-5, atol=1e-6)
    assert not np.allclose(before["heatmap"][routed], after["heatmap"][routed])


@pytest.mark.parametrize("colours", [(BLUE, GREY), (RED, RED)])
def test_the_routed_heatmap_runs_on_batches_with_no_routed_photo_or_only_routed_ones(
    tmp_path: Path, colours: tuple
) -> None:
    model = _routed_with_maps(write_tiny_model(tmp_path / "tiny", gate=True, heatmap=True))
    assert _run(model, _photos(*colours))["heatmap"].shape == (len(colours), 32, 32)


def test_the_expert_joins_a_heatmap_only_once_and_only_with_a_route(tmp_path: Path) -> None:
    tiny_with_heatmap = write_tiny_model(tmp_path / "tiny", gate=True, heatmap=True)
    with pytest.raises(HeatmapGraphError, match="no dermatoscopic route"):
        add_expert_to_heatmap(onnx.load(tiny_with_heatmap), classes=len(DIAGNOSES))
    model = _routed_with_maps(tiny_with_heatmap)
    with pytest.raises(HeatmapGraphError, match="already"):
        add_expert_to_heatmap(model, classes=len(DIAGNOSES))
    without_heatmap = add_dermatoscopic_route(
        onnx.load(write_tiny_model(tmp_path / "plain", gate=True)),
        _expert(),
        head=_RED_IS_DERMATOSCOPIC,
        cut=0.5,
        temperature=_TEMPERATURE,
    )
    with pytest.raises(HeatmapGraphError, match="no 'heatmap' output"):
        add_expert_to_heatmap(without_heatmap, classes=len(DIAGNOSES))


def test_the_script_gives_the_shipped_kind_of_model_the_expert_maps_and_says_so(tmp_path: Path) -> None:
    """``scripts/add_heatmap_output.py --expert-maps``: written only after the outputs were compared."""
    tiny_with_heatmap = write_tiny_model(tmp_path / "tiny", gate=True, heatmap=True)
    path = _ship(tiny_with_heatmap, tmp_path / "shipped", route_threshold=0.1)
    photos = tmp_path / "photos"
    photos.mkdir()
    for index, (colour, patch) in enumerate([(RED, BLUE), (BLUE, RED), (GREY, RED)]):
        pixels = _flat(colour).copy()
        pixels[:16, :16] = patch
        Image.fromarray(pixels).save(photos / f"{index}.jpg", quality=95)
    script = load_script("add_heatmap_output")
    assert script.main([str(path), "--expert-maps", "--check", str(photos)]) == 0
    metadata = ModelMetadata.read(path.with_suffix(".json"))
    assert metadata.heatmap is not None and metadata.heatmap.routed_feature_maps == ("dermatoscopic_route/expert/x",)
    assert any(node.name.startswith("/heatmap/routed/") for node in onnx.load(path).graph.node)
    with pytest.raises(HeatmapGraphError, match="already"):
        script.main([str(path), "--expert-maps", "--check", str(photos)])
