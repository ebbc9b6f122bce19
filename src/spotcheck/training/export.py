"""Export the calibrated network to ONNX and check that ONNX Runtime agrees with PyTorch."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from spotcheck.classifier.metadata import HeatmapSpec, InputSpec
from spotcheck.classifier.preprocess import normalise
from spotcheck.training.heatmap_output import add_heatmap_output_to_file

__all__ = ["export_onnx", "onnx_outputs", "onnx_probabilities", "parity_max_abs_diff", "store_weights_as_float16"]


def export_onnx(
    model: nn.Module,
    spec: InputSpec,
    path: Path,
    *,
    output_names: tuple[str, ...] = ("probabilities",),
    malignant_indices: Sequence[int] = (),
) -> HeatmapSpec | None:
    """Write ``model`` to ``path``; given ``malignant_indices``, the graph also gets the heatmap output
    (``spotcheck.training.heatmap_output``), described by the returned spec for the model's metadata."""
    model = model.eval().float().to("cpu").to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    dummy = torch.zeros(1, 3, spec.height, spec.width)
    with warnings.catch_warnings():
        # The TorchScript exporter (dynamo=False) is chosen on purpose: it folds batch norm into the
        # convolutions and gives a graph that ONNX Runtime runs fast. torch deprecates it, uses
        # deprecated helpers inside it and notes the Slice ops it leaves unfolded; none of that
        # changes the graph, whose agreement with PyTorch every run checks.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx\.")
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        torch.onnx.export(
            model,
            (dummy,),
            str(path),
            input_names=["pixels"],
            output_names=list(output_names),
            dynamic_axes={"pixels": {0: "batch"}, **{name: {0: "batch"} for name in output_names}},
            opset_version=17,
            dynamo=False,
        )
    if not malignant_indices:
        return None
    with torch.no_grad():
        probabilities = model(dummy)
    classes = (probabilities[0] if isinstance(probabilities, tuple) else probabilities).shape[1]
    head = add_heatmap_output_to_file(path, classes=classes, malignant_indices=malignant_indices)
    return HeatmapSpec(feature_maps=head.feature_maps, views=head.views)


def onnx_outputs(onnx_path: Path, pixels: np.ndarray, spec: InputSpec, batch_size: int = 64) -> list[np.ndarray]:
    """Every output of the graph from ONNX Runtime for uint8 images (N, H, W, 3), in batches."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    batches = [
        session.run(None, {"pixels": normalise(pixels[i : i + batch_size], spec)})
        for i in range(0, len(pixels), batch_size)
    ]
    return [np.concatenate([batch[k] for batch in batches]) for k in range(len(batches[0]))]


def onnx_probabilities(onnx_path: Path, pixels: np.ndarray, spec: InputSpec, batch_size: int = 64) -> np.ndarray:
    """Class probabilities (the first output) from ONNX Runtime for uint8 images (N, H, W, 3)."""
    return onnx_outputs(onnx_path, pixels, spec, batch_size)[0]


@torch.no_grad()
def parity_max_abs_diff(model: nn.Module, onnx_path: Path, pixels: np.ndarray, spec: InputSpec) -> float:
    """Largest absolute difference of any output of the PyTorch model (fp32) from ONNX Runtime's (the graph's
    heatmap, which PyTorch does not compute, aside)."""
    expected = model.eval().float().to("cpu")(torch.from_numpy(normalise(pixels, spec)))
    outputs = expected if isinstance(expected, tuple) else (expected,)
    actual = onnx_outputs(onnx_path, pixels, spec)
    return max(float(np.abs(e.numpy() - a).max()) for e, a in zip(outputs, actual[: len(outputs)], strict=True))


def store_weights_as_float16(path: Path, *, min_elements: int = 1024) -> int:
    """Store the model's large float32 weights as float16 on disk, computing in float32 as before.

    Each weight becomes a float16 initializer followed by a Cast back to float32. ONNX Runtime folds
    these casts when it loads the model, so inference runs the same float32 kernels at the same
    speed; only the weights are rounded (relative error below 5e-4). Converters such as
    onnxconverter-common's ``float16`` also move the arithmetic to float16, which the CPU kernels
    run slower or not at all, hence this storage-only rewrite. Returns the number of weights rewritten.
    """
    model = onnx.load(str(path))
    casts = []
    for weight in model.graph.initializer:
        if weight.data_type != TensorProto.FLOAT or int(np.prod(weight.dims)) < min_elements:
            continue
        stored = f"{weight.name}.float16"
        half = numpy_helper.to_array(weight).astype(np.float16)
        casts.append(helper.make_node("Cast", [stored], [weight.name], to=TensorProto.FLOAT))
        weight.CopyFrom(numpy_helper.from_array(half, stored))
    # The casts come first so the graph stays topologically sorted.
    nodes = [*casts, *model.graph.node]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return len(casts)
