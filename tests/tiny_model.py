"""A few-hundred-byte ONNX model with a predictable answer, for exercising the inference path.

It averages each colour channel and scores "mel" by red minus blue: a red image is MALIGNANT,
a blue one BENIGN, so tests can choose the label by choosing the colour.

``gate`` adds the photo gate: a ``lesion_probability`` output, high for red, blue and grey images
and near 0 for a green one (green is "not a lesion"), and a ``GateSpec`` in the metadata.
``gate=True`` gives ``OPEN_GATE``, whose quality limits are off so that flat test images pass;
pass a ``GateSpec`` to test real limits.

``heatmap`` adds the "where the model looked" output the way a shipped model gets it
(``spotcheck.training.heatmap_output``): with the pixels as the feature map, it is bright where the
red-minus-blue that raises "mel" is.

``busywork`` adds that many large matrix products whose result is multiplied by zero: the
answer is unchanged, but each image costs real compute, for tests that need a worker that is
still busy when something happens to it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_DIAGNOSES, MALIGNANT_INDICES
from spotcheck.classifier.metadata import HeatmapSpec, InputSpec, ModelMetadata
from spotcheck.classifier.onnx import LESION_OUTPUT
from spotcheck.photocheck.gate import GateSpec

__all__ = ["OPEN_GATE", "TINY_MODEL_VERSION", "write_tiny_model"]

TINY_MODEL_VERSION = "tiny-test-model-1"


# A gate that refuses only by the lesion head: any size from 8 px, no sharpness or exposure limits.
OPEN_GATE = GateSpec(min_side=8, min_sharpness=0.0, min_bright_level=0.0, max_white_fraction=1.0, lesion_threshold=0.5)

_BUSY_SIDE = 1024  # each busywork product is a (1024 x 1024) @ (1024 x 1024) matrix multiply


def _busywork_nodes(count: int) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """Nodes that turn the pixels into ``zero``, a scalar 0 that took ``count`` big products."""
    side = _BUSY_SIDE
    nodes = [
        helper.make_node("ReduceMean", ["pixels"], ["busy_mean"], keepdims=0),
        helper.make_node("Expand", ["busy_mean", "busy_shape"], ["busy_0"]),
    ]
    for step in range(count):  # the mean is in [-1, 1]; with 1/side weights every product stays there
        nodes.append(helper.make_node("MatMul", [f"busy_{step}", "busy_weights"], [f"busy_{step + 1}"]))
    nodes += [
        helper.make_node("ReduceMean", [f"busy_{count}"], ["busy_total"], keepdims=0),
        helper.make_node("Mul", ["busy_total", "busy_zero"], ["zero"]),
    ]
    initializers = [
        numpy_helper.from_array(np.array([side, side], dtype=np.int64), "busy_shape"),
        numpy_helper.from_array(np.full((side, side), 1.0 / side, dtype=np.float32), "busy_weights"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "busy_zero"),
    ]
    return nodes, initializers


def _lesion_nodes() -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """``lesion_probability`` (N,): sigmoid(8 * (red + blue - 2 * green) + 1) of the normalised channel means.

    Red (230, 30, 30) and blue give 1 - 1e-6, mid grey 0.73, skin (200, 150, 140) 0.97, green (30, 230, 30) 0.
    """
    nodes = [
        helper.make_node("MatMul", ["flat", "lesion_w"], ["lesion_score"]),
        helper.make_node("Add", ["lesion_score", "lesion_b"], ["lesion_logit"]),
        helper.make_node("Sigmoid", ["lesion_logit"], ["lesion_column"]),
        helper.make_node("Reshape", ["lesion_column", "lesion_shape"], [LESION_OUTPUT]),
    ]
    initializers = [
        numpy_helper.from_array(np.array([[8.0], [-16.0], [8.0]], dtype=np.float32), "lesion_w"),
        numpy_helper.from_array(np.array([1.0], dtype=np.float32), "lesion_b"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "lesion_shape"),
    ]
    return nodes, initializers


def write_tiny_model(
    directory: Path,
    *,
    version: str = TINY_MODEL_VERSION,
    busywork: int = 0,
    gate: GateSpec | bool = False,
    heatmap: bool = False,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    weights = np.zeros((3, len(DIAGNOSES)), dtype=np.float32)
    mel = DIAGNOSES.index("mel")
    weights[0, mel], weights[2, mel] = 8.0, -8.0  # red raises, blue lowers the melanoma logit
    bias = np.zeros(len(DIAGNOSES), dtype=np.float32)
    bias[DIAGNOSES.index("nv")] = 2.0
    nodes = [
        helper.make_node("GlobalAveragePool", ["pixels"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w", "b"], ["logits"]),
    ]
    initializers = [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(bias, "b")]
    if busywork:
        busy_nodes, busy_initializers = _busywork_nodes(busywork)
        nodes[-1].output[0] = "plain_logits"
        nodes += [*busy_nodes, helper.make_node("Add", ["plain_logits", "zero"], ["logits"])]
        initializers += busy_initializers
    outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", len(DIAGNOSES)])]
    spec = OPEN_GATE if gate is True else (gate if isinstance(gate, GateSpec) else None)
    if spec is not None:
        lesion_nodes, lesion_initializers = _lesion_nodes()
        nodes += lesion_nodes
        initializers += lesion_initializers
        outputs.append(helper.make_tensor_value_info(LESION_OUTPUT, TensorProto.FLOAT, ["batch"]))
    graph = helper.make_graph(
        [*nodes, helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1)],
        "tiny",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        outputs,
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    heatmap_spec = None
    if heatmap:
        from spotcheck.training.heatmap_output import add_heatmap_output

        head = add_heatmap_output(model, classes=len(DIAGNOSES), malignant_indices=MALIGNANT_INDICES)
        heatmap_spec = HeatmapSpec(feature_maps=head.feature_maps, views=head.views)
    onnx.checker.check_model(model)
    path = directory / "tiny.onnx"
    onnx.save(model, str(path))
    ModelMetadata(
        name="tiny test model",
        version=version,
        input=InputSpec(height=32, width=32, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
        classes=DIAGNOSES,
        malignant_classes=MALIGNANT_DIAGNOSES,
        threshold=0.5,
        gate=spec,
        heatmap=heatmap_spec,
    ).write(path.with_suffix(".json"))
    return path
