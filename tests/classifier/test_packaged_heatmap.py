"""The shipped model's heatmap on real melanoma photos: it points at what moved the estimate, and it
differs from photo to photo. Skipped where the data folder is absent."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spotcheck.classifier import OnnxClassifier, Prediction
from spotcheck.classifier.heatmap import heatmap_png
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.classifier.preprocess import resize_rgb
from spotcheck.training.heatmap_check import mean_pairwise_correlation, occlusion

HAM10000 = Path(__file__).parents[2].parent / "shared" / "datasets" / "ham10000-200x150"
PHOTOS = 16


@pytest.fixture(scope="module")
def classifier() -> OnnxClassifier:
    path = packaged_model_path()
    if not path.is_file():
        pytest.skip(f"no packaged model at {path}")
    return OnnxClassifier(path)


@pytest.fixture(scope="module")
def melanomas() -> list[Image.Image]:
    metadata = HAM10000 / "metadata.csv"
    if not metadata.is_file():
        pytest.skip(f"no data folder at {HAM10000}")
    with metadata.open(newline="") as handle:
        ids = [row["image_id"] for row in csv.DictReader(handle) if row["dx"] == "mel"][:PHOTOS]
    photos = []
    for image_id in ids:
        with Image.open(HAM10000 / "images" / f"{image_id}.jpg") as image:
            photos.append(image.convert("RGB"))
    return photos


def test_the_shipped_model_gives_heatmaps(classifier: OnnxClassifier) -> None:
    assert classifier.gives_heatmaps and classifier.metadata.heatmap is not None


def test_hiding_the_hottest_part_lowers_the_estimate_more_than_hiding_another_part(
    classifier: OnnxClassifier, melanomas: list[Image.Image]
) -> None:
    prepared = [classifier.prepare(photo) for photo in melanomas]
    result = occlusion(classifier, np.stack([p for p in prepared if isinstance(p, np.ndarray)]))
    flagged = result.flagged
    assert flagged.sum() >= PHOTOS // 2
    hottest, random = result.hottest_drop[flagged].mean(), result.random_drop[flagged].mean()
    assert hottest - random > 0.05, (hottest, random)
    assert mean_pairwise_correlation(result.maps) < 0.5


def test_the_png_has_the_photos_size(classifier: OnnxClassifier, melanomas: list[Image.Image]) -> None:
    portraits = [
        photo.transpose(Image.Transpose.ROTATE_90) for photo in melanomas[:4]
    ]  # as the model does not see them
    photo, prediction = next(
        (photo, p)
        for photo, p in zip(portraits, classifier.classify_with_heatmaps(portraits), strict=True)
        if isinstance(p, Prediction)
    )
    assert prediction.heatmap is not None
    with Image.open(io.BytesIO(heatmap_png(prediction.heatmap, photo.size))) as png:
        assert (png.mode, png.size) == ("L", (150, 200))
        assert np.asarray(png).max() == 255


def test_the_heatmap_output_leaves_the_other_outputs_as_they_were(
    classifier: OnnxClassifier, melanomas: list[Image.Image], tmp_path: Path
) -> None:
    """The shipped graph without the heatmap's nodes (what it was before they were added) answers the same."""
    import onnx

    from spotcheck.classifier.onnx import HEATMAP_OUTPUT

    graph = onnx.load(str(packaged_model_path()))
    added = [node for node in graph.graph.node if node.name.startswith("/heatmap/")]
    assert added, "the heatmap's nodes are named /heatmap/..."
    for node in added:
        graph.graph.node.remove(node)
    heatmap = next(output for output in graph.graph.output if output.name == HEATMAP_OUTPUT)
    graph.graph.output.remove(heatmap)
    for weight in [w for w in graph.graph.initializer if w.name.startswith("/heatmap/")]:
        graph.graph.initializer.remove(weight)
    before = tmp_path / "before.onnx"
    onnx.save(graph, str(before))
    classifier.metadata.model_copy(update={"heatmap": None}).write(before.with_suffix(".json"))
    pixels = np.stack([resize_rgb(photo, classifier.metadata.input) for photo in melanomas[:8]])
    old, new = OnnxClassifier(before).outputs(pixels), classifier.outputs(pixels)
    assert not OnnxClassifier(before).gives_heatmaps
    for a, b in zip(old, new, strict=True):
        assert a is not None and b is not None
        assert np.array_equal(a, b)
