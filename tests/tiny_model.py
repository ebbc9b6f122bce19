"""A few-hundred-byte ONNX model with a predictable answer, for exercising the inference path.

It averages each colour channel and scores "mel" by red minus blue: a red image is MALIGNANT,
a blue one BENIGN, so tests can choose the label by choosing the colour.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_DIAGNOSES
from spotcheck.classifier.metadata import InputSpec, ModelMetadata

__all__ = ["TINY_MODEL_VERSION", "write_tiny_model"]

TINY_MODEL_VERSION = "tiny-test-model-1"


def write_tiny_model(directory: Path, *, version: str = TINY_MODEL_VERSION) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    weights = np.zeros((3, len(DIAGNOSES)), dtype=np.float32)
    mel = DIAGNOSES.index("mel")
    weights[0, mel], weights[2, mel] = 8.0, -8.0  # red raises, blue lowers the melanoma logit
    bias = np.zeros(len(DIAGNOSES), dtype=np.float32)
    bias[DIAGNOSES.index("nv")] = 2.0
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["pixels"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("Gemm", ["flat", "w", "b"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", len(DIAGNOSES)])],
        [numpy_helper.from_array(weights, "w"), numpy_helper.from_array(bias, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
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
    ).write(path.with_suffix(".json"))
    return path
