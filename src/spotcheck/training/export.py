"""Export the calibrated network to ONNX and check that ONNX Runtime agrees with PyTorch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from spotcheck.classifier.metadata import InputSpec
from spotcheck.classifier.preprocess import normalise

__all__ = ["export_onnx", "parity_max_abs_diff"]


def export_onnx(model: nn.Module, spec: InputSpec, path: Path) -> None:
    model = model.eval().float().to("cpu").to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    dummy = torch.zeros(1, 3, spec.height, spec.width)
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["pixels"],
        output_names=["probabilities"],
        dynamic_axes={"pixels": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


@torch.no_grad()
def parity_max_abs_diff(model: nn.Module, onnx_path: Path, pixels: np.ndarray, spec: InputSpec) -> float:
    """Largest absolute difference of class probabilities between PyTorch (fp32) and ONNX Runtime."""
    import onnxruntime as ort

    inputs = normalise(pixels, spec)
    expected = model.eval().float().to("cpu")(torch.from_numpy(inputs)).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    actual = session.run(None, {"pixels": inputs})[0]
    return float(np.abs(expected - actual).max())
