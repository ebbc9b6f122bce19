"""The lesion model's wire contract (Open Inference Protocol v2 over REST), shared by server and clients.

Free of any serving framework: ``spotcheck.classifier.remote`` imports it in workers and the
Lambda function, which never install the ``serving`` extra.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from spotcheck.classifier.base import Assessment, Prediction, Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.photocheck.reasons import RefusalReason

__all__ = [
    "CLASSIFICATION",
    "HEATMAP",
    "IMAGE",
    "MALIGNANT_PROBABILITY",
    "MODEL_NAME",
    "MODEL_VERSION",
    "OUTPUTS",
    "REFUSED",
    "THRESHOLD",
    "ContractError",
    "assessments_from_response",
    "heatmaps_from_response",
    "infer_request",
    "metadata_tensors",
    "response_outputs",
]

MODEL_NAME = "spotcheck-lesion"
IMAGE = "image"  # BYTES, one encoded photo (JPEG, PNG, WebP or HEIC) per element
CLASSIFICATION = "classification"  # BYTES: MALIGNANT, BENIGN, or empty when refused
MALIGNANT_PROBABILITY = "malignant_probability"  # FP32; 0 when refused
REFUSED = "refused"  # BYTES: the photo gate's reason, or empty
MODEL_VERSION = "model_version"  # BYTES
OUTPUTS = (CLASSIFICATION, MALIGNANT_PROBABILITY, REFUSED, MODEL_VERSION)
# FP32, the score from which the photo is MALIGNANT (the dermatoscopic route has its own); 0 when
# refused. Optional for a client: a server from before it answers without it.
THRESHOLD = "threshold"
_FP32 = frozenset({MALIGNANT_PROBABILITY, THRESHOLD})
# BYTES, only when the request's "outputs" names it: where the model looked, a greyscale PNG at the
# photo's size as read (upright), in base64 as the input is; empty when refused.
HEATMAP = "heatmap"


class ContractError(ValueError):
    """An inference answer that does not follow the contract."""


def metadata_tensors(*, heatmap: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(inputs, outputs) as the model's metadata lists them; -1: one element per photo. ``heatmap``:
    the model gives maps, and the optional output is listed too."""
    inputs = [{"name": IMAGE, "datatype": "BYTES", "shape": [-1]}]
    names = (*OUTPUTS, THRESHOLD, HEATMAP) if heatmap else (*OUTPUTS, THRESHOLD)
    outputs = [{"name": name, "datatype": "FP32" if name in _FP32 else "BYTES", "shape": [-1]} for name in names]
    return inputs, outputs


def infer_request(photos: Sequence[bytes], *, heatmaps: bool = False) -> dict[str, Any]:
    """The JSON body of an infer call for ``photos``, each as base64 text; ``heatmaps`` asks for the
    ``heatmap`` output besides the usual ones."""
    body: dict[str, Any] = {
        "inputs": [
            {
                "name": IMAGE,
                "datatype": "BYTES",
                "shape": [len(photos)],
                "parameters": {"content_type": "base64"},
                "data": [base64.b64encode(photo).decode("ascii") for photo in photos],
            }
        ]
    }
    if heatmaps:
        body["outputs"] = [{"name": name} for name in (*OUTPUTS, HEATMAP)]
    return body


def response_outputs(assessments: Sequence[Assessment]) -> dict[str, tuple[str, list[Any]]]:
    """Output name -> (datatype, one value per photo)."""
    predictions = [a if isinstance(a, Prediction) else None for a in assessments]
    return {
        CLASSIFICATION: ("BYTES", [p.classification.value if p else "" for p in predictions]),
        MALIGNANT_PROBABILITY: ("FP32", [p.malignant_probability if p else 0.0 for p in predictions]),
        REFUSED: ("BYTES", [a.reason.value if isinstance(a, Refusal) else "" for a in assessments]),
        MODEL_VERSION: ("BYTES", [a.model_version for a in assessments]),
        THRESHOLD: ("FP32", [p.threshold if p and p.threshold is not None else 0.0 for p in predictions]),
    }


def assessments_from_response(body: Mapping[str, Any], count: int) -> list[Assessment]:
    """The ``count`` assessments of an infer answer's JSON; raises ``ContractError``."""
    try:
        outputs = {output["name"]: list(output["data"]) for output in body["outputs"]}
        columns = [outputs[name] for name in OUTPUTS]
    except (KeyError, TypeError) as exc:
        raise ContractError(f"the answer lacks {exc} (wants outputs {', '.join(OUTPUTS)})") from exc
    thresholds: list[Any] = outputs.get(THRESHOLD, [None] * count)
    if any(len(column) != count for column in (*columns, thresholds)):
        raise ContractError(
            f"the answer holds {[len(c) for c in (*columns, thresholds)]} values per output for {count} photos"
        )
    assessments: list[Assessment] = []
    try:
        for label, probability, reason, version, threshold in zip(*columns, thresholds, strict=True):
            if reason:
                assessments.append(Refusal(RefusalReason(reason), str(version)))
            else:
                cut = None if threshold is None else float(threshold)
                assessments.append(Prediction(Classification(label), float(probability), str(version), cut))
    except ValueError as exc:
        raise ContractError(f"the answer holds an unknown value: {exc}") from exc
    return assessments


def heatmaps_from_response(body: Mapping[str, Any], count: int) -> list[bytes | None]:
    """The ``heatmap`` output's PNGs, one per photo (None for a refused one); raises ``ContractError``."""
    try:
        [values] = [list(output["data"]) for output in body["outputs"] if output["name"] == HEATMAP]
    except (KeyError, TypeError, ValueError) as exc:
        raise ContractError(f"the answer holds no {HEATMAP!r} output, or more than one: {exc}") from exc
    if len(values) != count:
        raise ContractError(f"the answer holds {len(values)} heatmaps for {count} photos")
    try:
        return [base64.b64decode(str(value), validate=True) if value else None for value in values]
    except ValueError as exc:
        raise ContractError(f"a heatmap is not base64: {exc}") from exc
