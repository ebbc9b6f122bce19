"""Add the "where the model looked" output to an ONNX classifier: a class-activation map from the same pass.

The network ends in global average pooling and one linear layer, so each class's logit is the mean
over positions of ``W_c . F(y, x)`` plus a bias, where ``F`` is the last feature map. The malignant
probability is ``p_m = sum of softmax(z / T)_c`` over the malignant classes, whose derivative by
``z_c`` is ``p_c (1[c malignant] - p_m) / T``. Weighting each class's map ``W_c . F(y, x)`` by that
derivative gives, position by position, how much the features there pushed the estimate toward
"closer look" (up to the constant ``1 / T`` and the number of positions); the map keeps the positive
part (ReLU) and stays raw: ``spotcheck.classifier.heatmap`` scales it to [0, 1] per photo.

One function serves both a fresh export (``export_onnx``) and a model already shipped (graph surgery,
``scripts/add_heatmap_output.py``). It finds every global-average-pool -> (flatten) -> Gemm/MatMul
head (one per network of an ensemble, whose logits are averaged, so their maps are too) and the
mirror views of ``FlipAveraged`` (a Concat of the input with its flips), whose maps are flipped back
and averaged. It only adds nodes: the other outputs are computed exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from spotcheck.classifier.onnx import HEATMAP_OUTPUT

__all__ = [
    "CLASS_MAPS_READER",
    "HeatmapGraphError",
    "HeatmapHead",
    "LinearHead",
    "add_heatmap_output",
    "add_heatmap_output_to_file",
    "class_map_nodes",
    "linear_heads",
]

_POOLS = {"GlobalAveragePool", "ReduceMean"}
_PASS_THROUGH = {"Flatten", "Reshape", "Squeeze"}
# The node that takes the networks' mean per-class maps, (V*N, h, w, classes), apart by view.
CLASS_MAPS_READER = "/heatmap/by_view"
# FlipAveraged's views in order: the image, left-right, up-down, both (axes of an (N, H, W) map).
_VIEW_FLIPS: tuple[tuple[int, ...], ...] = ((), (2,), (1,), (1, 2))


class HeatmapGraphError(ValueError):
    """The graph has no head a class-activation map can be read from, or already has the output."""


@dataclass(frozen=True)
class HeatmapHead:
    """What the map was computed from: the feature maps (one per network) and the number of mirror views."""

    feature_maps: tuple[str, ...]
    views: int


@dataclass(frozen=True)
class LinearHead:
    """A network's last feature map and the linear layer its pooled features go through."""

    features: str
    weight: str
    transposed: bool  # Gemm transB=1: the weight is (classes, features)
    alpha: float


def _consumers(graph: onnx.GraphProto) -> dict[str, list[onnx.NodeProto]]:
    found: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            found.setdefault(name, []).append(node)
    return found


def _attribute(node: onnx.NodeProto, name: str, default: object) -> object:
    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return default


def _is_spatial_pool(node: onnx.NodeProto) -> bool:
    if node.op_type == "GlobalAveragePool":
        return True
    axes = _attribute(node, "axes", None)
    return node.op_type == "ReduceMean" and axes is not None and sorted(axes) == [2, 3]  # type: ignore[call-overload]


def _weight_shape(graph: onnx.GraphProto, name: str) -> tuple[int, ...] | None:
    """The shape of a stored weight, also one stored as float16 and cast back (``store_weights_as_float16``)."""
    stored = {weight.name: tuple(weight.dims) for weight in graph.initializer}
    if name in stored:
        return stored[name]
    cast = next((n for n in graph.node if n.op_type == "Cast" and n.output[0] == name), None)
    return stored.get(cast.input[0]) if cast is not None else None


def linear_heads(graph: onnx.GraphProto, classes: int) -> list[LinearHead]:
    """Each spatial pool whose result reaches a Gemm/MatMul with ``classes`` outputs as its data input
    (through flattening only; a photo-gate head on the same pooled features has another width)."""
    consumers = _consumers(graph)
    heads = []
    for node in graph.node:
        if node.op_type not in _POOLS or not _is_spatial_pool(node):
            continue
        value = node.output[0]
        following = consumers.get(value, [])
        while len(following) == 1 and following[0].op_type in _PASS_THROUGH:
            value = following[0].output[0]
            following = consumers.get(value, [])
        for linear in following:
            if linear.op_type not in ("Gemm", "MatMul") or linear.input[0] != value:
                continue
            if linear.op_type == "Gemm" and _attribute(linear, "transA", 0):
                continue
            transposed = linear.op_type == "Gemm" and bool(_attribute(linear, "transB", 0))
            shape = _weight_shape(graph, linear.input[1])
            if shape is None or len(shape) != 2 or shape[0 if transposed else 1] != classes:
                continue
            alpha = float(_attribute(linear, "alpha", 1.0)) if linear.op_type == "Gemm" else 1.0  # type: ignore[arg-type]
            heads.append(LinearHead(node.input[0], linear.input[1], transposed, alpha))
    return heads


def class_map_nodes(head: LinearHead, prefix: str) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto], str]:
    """The nodes (and constants) that give ``head``'s per-class maps, (N, h, w, classes): each class's
    weights times the features at each position. Their names start with ``prefix``; the last is returned."""
    nodes: list[onnx.NodeProto] = []
    constants: list[onnx.TensorProto] = []

    def node(op: str, inputs: list[str], suffix: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [prefix + suffix], name=prefix + suffix, **attributes))
        return prefix + suffix

    weight = head.weight
    if head.transposed:
        weight = node("Transpose", [weight], "weight_t", perm=[1, 0])
    channels_last = node("Transpose", [head.features], "channels_last", perm=[0, 2, 3, 1])
    class_maps = node("MatMul", [channels_last, weight], "class_maps")
    if head.alpha != 1.0:
        constants.append(numpy_helper.from_array(np.array(head.alpha, np.float32), prefix + "alpha"))
        class_maps = node("Mul", [class_maps, prefix + "alpha"], "scaled")
    return nodes, constants, class_maps


def _views(graph: onnx.GraphProto) -> int:
    """How many mirror views FlipAveraged stacked: the inputs of the Concat that takes the pixels."""
    pixels = graph.input[0].name
    for node in graph.node:
        if node.op_type == "Concat" and pixels in node.input:
            return len(node.input)
    return 1


def add_heatmap_output(model: onnx.ModelProto, *, classes: int, malignant_indices: Sequence[int]) -> HeatmapHead:
    """Add the (N, h, w) output ``heatmap`` to ``model`` in place (h, w: the last feature map's size).

    The class probabilities, ``classes`` of them, must be the graph's first output, as ``OnnxClassifier``
    reads them; ``malignant_indices`` are the classes whose probabilities add up to the malignant one.
    """
    graph = model.graph
    if any(output.name == HEATMAP_OUTPUT for output in graph.output):
        raise HeatmapGraphError(f"the graph already has a {HEATMAP_OUTPUT!r} output")
    heads = linear_heads(graph, classes)
    if not heads:
        raise HeatmapGraphError("no global average pooling followed by a linear layer (Gemm or MatMul) in the graph")
    views = _views(graph)
    if views not in (1, 2, 4):
        raise HeatmapGraphError(f"the input is stacked {views} times; mirror views come as 1, 2 or 4")
    probabilities = graph.output[0].name

    nodes: list[onnx.NodeProto] = []
    constants: list[onnx.TensorProto] = []

    def name(suffix: str) -> str:
        return f"/heatmap/{suffix}"

    def constant(suffix: str, value: np.ndarray) -> str:
        constants.append(numpy_helper.from_array(value, name(suffix)))
        return name(suffix)

    def node(op: str, inputs: list[str], suffix: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [name(suffix)], name=name(suffix), **attributes))
        return name(suffix)

    # d p_malignant / d logit_c (times T): p_c (is_malignant_c - p_malignant), (N, classes).
    mask = np.zeros(classes, dtype=np.float32)
    mask[list(malignant_indices)] = 1.0
    mask_name = constant("malignant_mask", mask)
    p_malignant = node("MatMul", [probabilities, constant("malignant_column", mask.reshape(-1, 1))], "p_malignant")
    weights = node("Mul", [probabilities, node("Sub", [mask_name, p_malignant], "toward_malignant")], "class_weights")

    # Per-class maps of each network, (V*N, h, w, classes), averaged over the networks like their logits.
    maps = []
    for index, head in enumerate(heads):
        head_nodes, head_constants, class_maps = class_map_nodes(head, name(f"{index}/"))
        nodes.extend(head_nodes)
        constants.extend(head_constants)
        maps.append(class_maps)
    summed = maps[0] if len(maps) == 1 else node("Sum", maps, "sum_of_networks")
    mean = (
        summed
        if len(maps) == 1
        else node("Div", [summed, constant("networks", np.array(len(maps), np.float32))], "mean_of_networks")
    )

    # (V*N, h, w, C) -> (V, N, h, w, C), weighted by each image's class weights, summed over classes.
    size = node(
        "Slice",
        [
            node("Shape", [mean], "shape"),
            constant("one", np.array([1], np.int64)),
            constant("four", np.array([4], np.int64)),
        ],
        "size",
    )
    by_view = node(
        "Reshape",
        [mean, node("Concat", [constant("views_first", np.array([views, -1], np.int64)), size], "view_shape", axis=0)],
        "by_view",
    )
    per_image = node("Unsqueeze", [weights, constant("broadcast_axes", np.array([0, 2, 3], np.int64))], "per_image")
    weighted = node(
        "ReduceSum",
        [node("Mul", [by_view, per_image], "weighted_classes"), constant("last_axis", np.array([-1], np.int64))],
        "weighted",
        keepdims=0,
    )

    # Each mirror view's map flipped back onto the photo, then their mean.
    upright = []
    for view, axes in enumerate(_VIEW_FLIPS[:views]):
        one_view = node(
            "Gather", [weighted, constant(f"view{view}/index", np.array(view, np.int64))], f"view{view}", axis=0
        )
        for axis in axes:
            one_view = node(
                "Slice",
                [
                    one_view,
                    constant(f"view{view}/start{axis}", np.array([-1], np.int64)),
                    constant(f"view{view}/end{axis}", np.array([np.iinfo(np.int64).min], np.int64)),
                    constant(f"view{view}/axis{axis}", np.array([axis], np.int64)),
                    constant(f"view{view}/step{axis}", np.array([-1], np.int64)),
                ],
                f"view{view}/flip{axis}",
            )
        upright.append(one_view)
    combined = (
        upright[0]
        if views == 1
        else node(
            "Div",
            [node("Sum", upright, "sum_of_views"), constant("view_count", np.array(views, np.float32))],
            "mean_of_views",
        )
    )
    nodes.append(helper.make_node("Relu", [combined], [HEATMAP_OUTPUT], name=name("relu")))

    graph.initializer.extend(constants)
    graph.node.extend(nodes)
    graph.output.append(helper.make_tensor_value_info(HEATMAP_OUTPUT, TensorProto.FLOAT, ["batch", "height", "width"]))
    onnx.checker.check_model(model)
    return HeatmapHead(tuple(head.features for head in heads), views)


def add_heatmap_output_to_file(path: Path, *, classes: int, malignant_indices: Sequence[int]) -> HeatmapHead:
    """``add_heatmap_output`` on the ONNX file at ``path``, rewritten in place."""
    model = onnx.load(str(path))
    head = add_heatmap_output(model, classes=classes, malignant_indices=malignant_indices)
    onnx.save(model, str(path))
    return head
