"""The model server's wire contract read back by its clients: every output, and an older server's answer."""

from __future__ import annotations

from typing import Any

import pytest

from spotcheck.classifier.base import Prediction, Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.classifier.oip import THRESHOLD, ContractError, assessments_from_response, response_outputs
from spotcheck.photocheck.reasons import RefusalReason

ASSESSMENTS = [
    Prediction(Classification.MALIGNANT, 0.25, "model-1", threshold=0.0625),
    Refusal(RefusalReason.BLURRY, "model-1"),
    Prediction(Classification.BENIGN, 0.03125, "model-1", threshold=0.046875),
]


def _answer(outputs: dict[str, tuple[str, list[Any]]]) -> dict[str, Any]:
    return {"outputs": [{"name": name, "datatype": kind, "data": data} for name, (kind, data) in outputs.items()]}


def test_every_assessment_comes_back_with_the_threshold_it_was_judged_at() -> None:
    assert assessments_from_response(_answer(response_outputs(ASSESSMENTS)), 3) == ASSESSMENTS


def test_an_answer_without_thresholds_reads_as_predictions_without_one() -> None:
    outputs = response_outputs(ASSESSMENTS)
    del outputs[THRESHOLD]  # a server from before the output
    first, _refusal, last = assessments_from_response(_answer(outputs), 3)
    assert first == Prediction(Classification.MALIGNANT, 0.25, "model-1")
    assert isinstance(last, Prediction) and last.threshold is None


def test_a_threshold_per_photo_is_required_once_the_output_is_there() -> None:
    outputs = response_outputs(ASSESSMENTS)
    outputs[THRESHOLD] = ("FP32", [0.0625])
    with pytest.raises(ContractError, match="values per output"):
        assessments_from_response(_answer(outputs), 3)
