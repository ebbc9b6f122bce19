"""The heatmap of a photo the dermatoscopic route takes: both networks' maps, as its estimate is both networks'.

The route answers a routed photo with the mean of the first network's and the expert's logits
(``spotcheck.training.dermatoscopic_route``). A logit is linear in its network's last feature map
(``spotcheck.training.heatmap_output``), so the per-class map of that mean is the mean of the two
networks' per-class maps. This surgery computes the expert's per-class maps for the routed rows
only (the expert runs on nothing else), averages them with the first network's rows, and hands the
result to the heatmap's weighting by class (which reads the route's probabilities already). Every
other output, and every unrouted photo's map, is computed exactly as before.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from spotcheck.classifier.onnx import HEATMAP_OUTPUT
from spotcheck.training.dermatoscopic_route import EXPERT_PREFIX, ROUTED_ROW_INDEX, ROUTED_ROWS
from spotcheck.training.heatmap_output import CLASS_MAPS_READER, HeatmapGraphError, class_map_nodes, linear_heads

__all__ = ["add_expert_to_heatmap"]

_PREFIX = "/heatmap/routed/"


def _class_maps(graph: onnx.GraphProto) -> str:
    """The per-class maps the heatmap weighs: what its reader takes."""
    for node in graph.node:
        if node.name == CLASS_MAPS_READER:
            return str(node.input[0])
    raise HeatmapGraphError(f"the graph has no {HEATMAP_OUTPUT!r} output built by heatmap_output")


def add_expert_to_heatmap(model: onnx.ModelProto, *, classes: int) -> str:
    """Make ``model``'s heatmap of routed photos the two networks' mean, in place; returns the expert's
    feature map (for the metadata). The graph needs the route and a one-view heatmap of one network."""
    graph = model.graph
    if any(node.name.startswith(_PREFIX) for node in graph.node):
        raise HeatmapGraphError("the heatmap already averages the expert's maps")
    first_maps = _class_maps(graph)
    if not first_maps.startswith("/heatmap/0/") or any(n.name == "/heatmap/sum_of_networks" for n in graph.node):
        raise HeatmapGraphError("the heatmap must be read from one network's feature map")
    if any(n.name == "/heatmap/sum_of_views" for n in graph.node):
        raise HeatmapGraphError("the heatmap must come from one view: the route's rows are the batch's rows")
    produced = {output for node in graph.node for output in node.output}
    if ROUTED_ROWS not in produced or ROUTED_ROW_INDEX not in produced:
        raise HeatmapGraphError("the graph has no dermatoscopic route")
    experts = [head for head in linear_heads(graph, classes) if head.features.startswith(EXPERT_PREFIX)]
    if len(experts) != 1:
        raise HeatmapGraphError(f"expected the expert's one head in the route, found {len(experts)}")
    (expert,) = experts

    def name(suffix: str) -> str:
        return _PREFIX + suffix

    # The expert's per-class maps of the routed rows, (k, h, w, classes), and the first network's rows.
    nodes, constants, expert_maps = class_map_nodes(expert, _PREFIX)
    nodes += [
        helper.make_node("Gather", [first_maps, ROUTED_ROW_INDEX], [name("first_maps")], name=name("first"), axis=0),
        helper.make_node("Add", [name("first_maps"), expert_maps], [name("sum")], name=name("sum")),
        helper.make_node("Div", [name("sum"), name("two")], [name("mean")], name=name("mean")),
        helper.make_node("ScatterND", [first_maps, ROUTED_ROWS, name("mean")], [name("maps")], name=name("maps")),
    ]
    graph.initializer.extend([*constants, numpy_helper.from_array(np.array(2.0, np.float32), name("two"))])
    at = min(index for index, node in enumerate(graph.node) if first_maps in node.input)
    for node in [node for node in graph.node if first_maps in node.input]:
        node.input[:] = [name("maps") if tensor == first_maps else tensor for tensor in node.input]
    for offset, node in enumerate(nodes):
        graph.node.insert(at + offset, node)
    onnx.checker.check_model(model, full_check=True)
    return expert.features
