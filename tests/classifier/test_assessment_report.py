"""An assessment as JSON (`spotcheck classify --format jsonl`, a SageMaker endpoint's answer) and back."""

from __future__ import annotations

import pytest

from spotcheck.classifier.base import Prediction, Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.classifier.report import ReportError, assessment_from_report, assessment_report
from spotcheck.photocheck.reasons import RefusalReason


@pytest.mark.parametrize(
    "assessment",
    [
        Prediction(Classification.BENIGN, 0.03125, "model-1", threshold=0.03436247073113918),
        Prediction(Classification.MALIGNANT, 0.5, "model-1"),
        Refusal(RefusalReason.TOO_DARK, "model-1"),
    ],
)
def test_an_assessment_round_trips(assessment: Prediction | Refusal) -> None:
    assert assessment_from_report(assessment_report(assessment)) == assessment


def test_the_threshold_is_printed_unrounded_and_left_out_when_unknown() -> None:
    judged = assessment_report(Prediction(Classification.BENIGN, 0.0343621, "m", threshold=0.03436247073113918))
    assert judged["threshold"] == 0.03436247073113918  # rounded, the score could seem on the wrong side
    assert "threshold" not in assessment_report(Prediction(Classification.BENIGN, 0.1, "m"))


def test_a_threshold_that_is_not_a_number_is_an_error() -> None:
    report = {"classification": "BENIGN", "malignantProbability": 0.1, "modelVersion": "m", "threshold": "high"}
    with pytest.raises(ReportError):
        assessment_from_report(report)
