"""ONNX export helpers on a small real network (no training run needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from spotcheck.classifier.metadata import InputSpec  # noqa: E402
from spotcheck.classifier.preprocess import normalise  # noqa: E402
from spotcheck.training.export import (  # noqa: E402
    export_onnx,
    onnx_outputs,
    onnx_probabilities,
    parity_max_abs_diff,
    store_weights_as_float16,
)

pytestmark = pytest.mark.training

SPEC = InputSpec(height=24, width=32, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))


@pytest.fixture
def exported(tmp_path: Path) -> tuple[torch.nn.Module, Path]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 256, 3),
        torch.nn.BatchNorm2d(256),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(256, 7),
        torch.nn.Softmax(dim=1),
    ).eval()
    path = tmp_path / "model.onnx"
    export_onnx(model, SPEC, path)
    return model, path


@pytest.fixture
def pixels() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(5, SPEC.height, SPEC.width, 3), dtype=np.uint8)


def test_float16_storage_halves_the_weights_and_keeps_float32_io(
    exported: tuple[torch.nn.Module, Path], pixels: np.ndarray
) -> None:
    model, path = exported
    fp32_bytes, fp32_outputs = path.stat().st_size, onnx_probabilities(path, pixels, SPEC)

    rewritten = store_weights_as_float16(path)

    assert rewritten == 2  # the conv (6912 weights) and the linear layer (1792); biases stay float32
    assert path.stat().st_size < 0.6 * fp32_bytes
    graph = onnx.load(str(path)).graph
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert sum(w.data_type == onnx.TensorProto.FLOAT16 for w in graph.initializer) == 2
    fp16_outputs = onnx_probabilities(path, pixels, SPEC)
    assert fp16_outputs.dtype == np.float32
    assert 0 < np.abs(fp16_outputs - fp32_outputs).max() < 1e-3  # rounded, and only slightly
    assert parity_max_abs_diff(model, path, pixels, SPEC) < 1e-3


def test_probabilities_do_not_depend_on_the_batch_size(
    exported: tuple[torch.nn.Module, Path], pixels: np.ndarray
) -> None:
    _, path = exported
    np.testing.assert_allclose(
        onnx_probabilities(path, pixels, SPEC, batch_size=2), onnx_probabilities(path, pixels, SPEC), atol=1e-6
    )


def test_the_heatmap_of_a_flip_averaged_export_is_each_view_flipped_back_and_averaged(tmp_path: Path) -> None:
    from spotcheck.training.network import CalibratedClassifier, FlipAveraged

    torch.manual_seed(1)
    features = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, stride=2), torch.nn.ReLU()).eval()
    linear = torch.nn.Linear(16, 7).eval()
    network = torch.nn.Sequential(features, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), linear)
    model = CalibratedClassifier(FlipAveraged(network, 4), temperature=1.5).eval()
    path = tmp_path / "model.onnx"
    malignant = [0, 1, 4]
    head = export_onnx(model, SPEC, path, malignant_indices=malignant)
    assert head is not None and head.views == 4

    pixels = np.random.default_rng(2).integers(0, 256, size=(3, SPEC.height, SPEC.width, 3), dtype=np.uint8)
    probabilities, heatmaps = onnx_outputs(path, pixels, SPEC)
    with torch.no_grad():
        batch = torch.from_numpy(normalise(pixels, SPEC))
        expected_probabilities = model(batch)
        p = expected_probabilities
        mask = torch.zeros(7)
        mask[malignant] = 1.0
        toward = p * (mask - p[:, malignant].sum(dim=1, keepdim=True))  # (N, classes)
        views = [batch, batch.flip(3), batch.flip(2), batch.flip(2).flip(3)]
        undo = [(), (2,), (1,), (1, 2)]  # the same flips on an (N, h, w) map
        maps = []
        for view, axes in zip(views, undo, strict=True):
            class_maps = torch.einsum("nkhw,ck->nchw", features(view), linear.weight)
            one = torch.einsum("nchw,nc->nhw", class_maps, toward)
            maps.append(one.flip(axes) if axes else one)
        expected = torch.relu(torch.stack(maps).mean(dim=0)).numpy()
    np.testing.assert_allclose(probabilities, expected_probabilities.numpy(), atol=1e-6)
    assert heatmaps.shape == expected.shape and expected.max() > 0
    np.testing.assert_allclose(heatmaps, expected, rtol=1e-4, atol=1e-6)
    assert parity_max_abs_diff(model, path, pixels, SPEC) < 1e-6  # the heatmap output is left out of parity
