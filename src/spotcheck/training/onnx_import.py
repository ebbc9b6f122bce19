"""An exported EfficientNet-Lite network back in PyTorch, from its ONNX graph, to fine-tune it again.

The export folds every batch norm into the convolution before it, so the graph holds one weight and
one bias per convolution. They go back into the PyTorch network in the order the graph runs them
(stem, each block's expansion, depthwise and projection, head), the batch norms becoming identities
that add the folded bias: normalised by mean 0 and variance ``1 - eps``, scaled by 1. Such a network
must be fine-tuned with its batch-norm statistics fixed (``TrainConfig.frozen_batchnorm``): batch
statistics would undo the folding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

__all__ = ["OnnxImportError", "folded_weights", "load_folded_weights"]


class OnnxImportError(ValueError):
    """The graph does not hold the network it was asked for."""


def _constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """Every value a node input can name as a constant: an initializer, or one through a ``Cast``
    (float16 storage), as float32."""
    initializers = {init.name: numpy_helper.to_array(init).astype(np.float32) for init in graph.initializer}
    casts = {
        node.output[0]: initializers[node.input[0]]
        for node in graph.node
        if node.op_type == "Cast" and node.input[0] in initializers
    }
    return initializers | casts


def folded_weights(graph: onnx.GraphProto) -> tuple[list[tuple[np.ndarray, np.ndarray]], tuple[np.ndarray, np.ndarray]]:
    """Every ``Conv``'s (weight, bias) in the order the graph runs them, and the last ``Gemm``'s (weight, bias)."""
    convolutions = [node for node in graph.node if node.op_type == "Conv"]
    dense = [node for node in graph.node if node.op_type == "Gemm"]
    if len(dense) != 1 or any(len(node.input) != 3 for node in [*convolutions, *dense]):
        raise OnnxImportError("expected convolutions with biases (batch norms folded) and one dense head")
    constants = _constants(graph)

    def constant(name: str) -> np.ndarray:
        if name not in constants:
            raise OnnxImportError(f"{name} is not a constant of the graph")
        return constants[name]

    layers = [(constant(node.input[1]), constant(node.input[2])) for node in convolutions]
    transposed = any(a.name == "transB" and a.i == 1 for a in dense[0].attribute)
    weight = constant(dense[0].input[1])
    return layers, (weight if transposed else weight.T, constant(dense[0].input[2]))


def load_folded_weights(network: nn.Module, onnx_path: Path) -> None:
    """Set ``network`` (an EfficientNet-Lite of the same shape) to the weights of the graph in ``onnx_path``.

    Raises ``OnnxImportError`` when the graph's layers do not match the network's, one by one.
    """
    layers, (fc_weight, fc_bias) = folded_weights(onnx.load(onnx_path).graph)
    modules = list(network.modules())
    convolutions = [m for m in modules if isinstance(m, nn.Conv2d)]
    norms = [m for m in modules if isinstance(m, nn.BatchNorm2d)]
    head = [m for m in modules if isinstance(m, nn.Linear)]
    if len(layers) != len(convolutions) or len(norms) != len(convolutions) or len(head) != 1:
        raise OnnxImportError(
            f"the graph has {len(layers)} convolutions, the network {len(convolutions)} "
            f"(and {len(norms)} batch norms, {len(head)} dense layers)"
        )
    with torch.no_grad():
        for index, (conv, norm, (weight, bias)) in enumerate(zip(convolutions, norms, layers, strict=True)):
            expected = tuple(conv.weight.shape)
            if expected != weight.shape or norm.num_features != bias.shape[0]:
                shapes = f"the graph's weight is {weight.shape}, the network's {expected}"
                raise OnnxImportError(f"convolution {index}: {shapes}")
            conv.weight.copy_(torch.from_numpy(weight))
            norm.weight.fill_(1.0)
            norm.bias.copy_(torch.from_numpy(bias))
            norm.reset_running_stats()  # mean 0, variance 1
            assert norm.running_var is not None
            norm.running_var.fill_(1.0 - norm.eps)
        dense = tuple(head[0].weight.shape)
        if dense != fc_weight.shape:
            raise OnnxImportError(f"dense head: the graph's is {fc_weight.shape}, the network's {dense}")
        head[0].weight.copy_(torch.from_numpy(np.ascontiguousarray(fc_weight)))
        head[0].bias.copy_(torch.from_numpy(fc_bias))
