"""Give dermatoscopic photos a second opinion inside one ONNX graph, and leave phone photos as they were.

A network trained on phone and dermatoscopic photos together is safer on phone photos, and a little
weaker on dermatoscopic ones, than a network trained on dermatoscopic images alone. This graph
surgery keeps the first network for every photo and adds, from the same pass:

- ``dermatoscopic_probability``: a logistic head on the photo gate's features (the early blocks'
  channel statistics the graph already computes), telling a dermatoscope's image from a phone photo;
- for the photos at or above ``cut`` only, the expert network (``NonZero`` -> ``Gather`` of those
  rows, so the expert runs on them alone and a phone photo costs nothing more); their class
  probabilities become softmax((first logits + expert logits) / 2 / temperature), written back into
  ``probabilities`` by ``ScatterND``. Every other photo's outputs are computed exactly as before.

The routed photos get their own decision threshold (``DermatoscopicRoute`` in the metadata), since
their probabilities come from another calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, compose, helper, numpy_helper
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from spotcheck.classifier.onnx import LESION_OUTPUT
from spotcheck.training.metrics import wilson_interval

__all__ = [
    "DERMATOSCOPIC_OUTPUT",
    "EXPERT_PREFIX",
    "ROUTED_ROWS",
    "ROUTED_ROW_INDEX",
    "KindHead",
    "RouteGraphError",
    "add_dermatoscopic_route",
    "fit_kind_head",
    "tap_names",
    "threshold_with_confidence",
]

DERMATOSCOPIC_OUTPUT = "dermatoscopic_probability"
_PREFIX = "dermatoscopic_route/"
EXPERT_PREFIX = _PREFIX + "expert/"  # every name of the expert's graph starts so
ROUTED_ROW_INDEX = _PREFIX + "row_index"  # (k,): the routed photos' rows in the batch
ROUTED_ROWS = _PREFIX + "rows"  # (k, 1): the same, as ScatterND takes them


class RouteGraphError(ValueError):
    """The graph lacks what the route is built from, or already has it."""


@dataclass(frozen=True)
class KindHead:
    """``sigmoid(features @ weight + bias)``: the probability that a photo is dermatoscopic."""

    weight: np.ndarray  # (features,)
    bias: float

    def probability(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-(features @ self.weight + self.bias))))


def fit_kind_head(features: np.ndarray, dermatoscopic: np.ndarray, *, regularisation: float = 0.1) -> KindHead:
    """A standardised logistic regression with balanced classes, its scaling folded into the weights."""
    scaler = StandardScaler().fit(features)
    regression = LogisticRegression(C=regularisation, max_iter=5000, class_weight="balanced")
    regression.fit(scaler.transform(features), dermatoscopic.astype(int))
    weight = regression.coef_[0] / scaler.scale_
    bias = float(regression.intercept_[0] - (scaler.mean_ * weight).sum())
    return KindHead(weight=weight.astype(np.float32), bias=bias)


def threshold_with_confidence(malignant_scores: np.ndarray, *, goal: float, z: float = 1.96) -> float:
    """The highest threshold whose sensitivity on these malignant scores has a Wilson lower bound
    (95 % by default) of at least ``goal``: the operating point favours sensitivity by the sampling
    error of the validation split, not only its point estimate. Halfway to the next lower score, as
    ``threshold_for_sensitivity`` does, so float32 rounding cannot drop the last flagged image."""
    scores = np.sort(np.asarray(malignant_scores, dtype=np.float64))[::-1]
    n = scores.size
    for flagged in range(1, n + 1):
        low, _high = wilson_interval(flagged, n, z)
        if low >= goal:
            below = scores[flagged] if flagged < n else 0.0
            return float((scores[flagged - 1] + below) / 2)
    raise ValueError(f"no threshold reaches a sensitivity lower bound of {goal} on {n} malignant scores")


def _producer(graph: onnx.GraphProto, name: str) -> onnx.NodeProto:
    for node in graph.node:
        if name in node.output:
            found: onnx.NodeProto = node
            return found
    raise RouteGraphError(f"nothing in the graph computes {name!r}")


def _lesion_features(graph: onnx.GraphProto) -> str:
    """The features the photo gate's lesion head reads: walk back from its output to its MatMul/Gemm."""
    name = LESION_OUTPUT
    for _ in range(8):
        node = _producer(graph, name)
        if node.op_type in ("MatMul", "Gemm"):
            return str(node.input[0])
        name = node.input[0]
    raise RouteGraphError(f"no linear head found behind {LESION_OUTPUT!r}")


def _taps(graph: onnx.GraphProto, probabilities: str) -> tuple[int, str, str]:
    """(index of the softmax node, the first network's logits before its temperature, the photo gate's features)."""
    if LESION_OUTPUT not in {output.name for output in graph.output}:
        raise RouteGraphError(
            f"the graph has no photo gate ({LESION_OUTPUT!r}) whose features could tell the kinds apart"
        )
    softmax = _producer(graph, probabilities)
    if softmax.op_type != "Softmax":
        raise RouteGraphError(f"{probabilities!r} is not a softmax")
    before = _producer(graph, softmax.input[0])
    logits = before.input[0] if before.op_type == "Div" else softmax.input[0]
    return list(graph.node).index(softmax), logits, _lesion_features(graph)


def _flatten_after_pooling(graph: onnx.GraphProto) -> None:
    """Reshape(pooled, (N, -1)) -> Flatten(pooled): the same for N > 0, and defined for no rows at all,
    which the route must allow (a batch of phone photos sends the expert none)."""
    pooled = {node.output[0] for node in graph.node if node.op_type == "GlobalAveragePool"}
    for at, node in enumerate(graph.node):
        if node.op_type == "Reshape" and node.input[0] in pooled:
            graph.node[at].CopyFrom(helper.make_node("Flatten", [node.input[0]], list(node.output), axis=1))
    used = {name for node in graph.node for name in node.input}
    kept = [initializer for initializer in graph.initializer if initializer.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def tap_names(model: onnx.ModelProto, probabilities: str = "probabilities") -> tuple[str, str]:
    """(the first network's logits, the photo gate's features): the tensors the route is built from."""
    _softmax_at, logits, features = _taps(model.graph, probabilities)
    return logits, features


def add_dermatoscopic_route(
    model: onnx.ModelProto,
    expert: onnx.ModelProto,
    *,
    head: KindHead,
    cut: float,
    temperature: float,
    probabilities: str = "probabilities",
) -> onnx.ModelProto:
    """``model`` with the route added (a new model; ``model`` is not changed).

    ``expert`` takes the same normalised pixels as ``model`` (one input) and gives logits of the same
    classes (one output). Its names are prefixed, so the two graphs cannot clash.
    """
    if any(output.name == DERMATOSCOPIC_OUTPUT for output in model.graph.output):
        raise RouteGraphError(f"the graph already has a {DERMATOSCOPIC_OUTPUT!r} output")
    if len(expert.graph.input) != 1 or len(expert.graph.output) != 1:
        raise RouteGraphError("the expert must have one input (pixels) and one output (logits)")
    routed = onnx.ModelProto()
    routed.CopyFrom(model)
    graph = routed.graph
    softmax_at, logits, features = _taps(graph, probabilities)
    pixels = graph.input[0].name
    expert = compose.add_prefix(expert, EXPERT_PREFIX)
    _flatten_after_pooling(expert.graph)
    expert_in, expert_out = expert.graph.input[0].name, expert.graph.output[0].name

    def name(local: str) -> str:
        return _PREFIX + local

    single = name("single_probabilities")
    graph.node[softmax_at].output[0] = single
    graph.initializer.extend(
        [
            numpy_helper.from_array(head.weight.reshape(-1, 1).astype(np.float32), name("kind_weight")),
            numpy_helper.from_array(np.array([head.bias], dtype=np.float32), name("kind_bias")),
            numpy_helper.from_array(np.array(cut, dtype=np.float32), name("cut")),
            numpy_helper.from_array(np.array(2.0 * temperature, dtype=np.float32), name("twice_temperature")),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), name("flat")),
            *expert.graph.initializer,
        ]
    )
    nodes = [
        helper.make_node("MatMul", [features, name("kind_weight")], [name("kind_logit")]),
        helper.make_node("Add", [name("kind_logit"), name("kind_bias")], [name("kind_biased")]),
        helper.make_node("Sigmoid", [name("kind_biased")], [name("kind_column")]),
        helper.make_node("Reshape", [name("kind_column"), name("flat")], [DERMATOSCOPIC_OUTPUT]),
        helper.make_node("GreaterOrEqual", [DERMATOSCOPIC_OUTPUT, name("cut")], [name("routed")]),
        helper.make_node("NonZero", [name("routed")], [name("rows_row")]),  # (1, k)
        helper.make_node("Transpose", [name("rows_row")], [ROUTED_ROWS], perm=[1, 0]),  # (k, 1) for ScatterND
        helper.make_node("Reshape", [name("rows_row"), name("flat")], [ROUTED_ROW_INDEX]),
        helper.make_node("Gather", [pixels, ROUTED_ROW_INDEX], [expert_in], axis=0),
        *expert.graph.node,
        helper.make_node("Gather", [logits, ROUTED_ROW_INDEX], [name("first_logits")], axis=0),
        helper.make_node("Add", [name("first_logits"), expert_out], [name("summed_logits")]),
        helper.make_node("Div", [name("summed_logits"), name("twice_temperature")], [name("scaled_logits")]),
        helper.make_node("Softmax", [name("scaled_logits")], [name("routed_probabilities")], axis=-1),
        helper.make_node("ScatterND", [single, ROUTED_ROWS, name("routed_probabilities")], [probabilities]),
    ]
    for offset, node in enumerate(nodes, start=softmax_at + 1):
        graph.node.insert(offset, node)
    graph.output.append(helper.make_tensor_value_info(DERMATOSCOPIC_OUTPUT, TensorProto.FLOAT, ["batch"]))
    onnx.checker.check_model(routed)
    return routed
