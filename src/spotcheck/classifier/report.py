"""An assessment as JSON: what `spotcheck classify` prints for a file and a SageMaker endpoint answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spotcheck.classifier.base import Assessment, Prediction, Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.photocheck.reasons import RefusalReason

__all__ = ["ReportError", "assessment_from_report", "assessment_report"]


class ReportError(ValueError):
    """A JSON answer that is not an assessment."""


def assessment_report(assessment: Assessment) -> dict[str, Any]:
    if isinstance(assessment, Refusal):
        return {"classification": None, "refused": assessment.reason.value, "modelVersion": assessment.model_version}
    report: dict[str, Any] = {
        "classification": assessment.classification.value,
        "malignantProbability": round(assessment.malignant_probability, 6),
        "modelVersion": assessment.model_version,
    }
    if assessment.threshold is not None:
        report["threshold"] = assessment.threshold  # unrounded: the score is compared with it as it is
    return report


def assessment_from_report(report: Mapping[str, Any]) -> Assessment:
    """The inverse of ``assessment_report``; raises ``ReportError`` naming what is wrong."""
    try:
        version = str(report["modelVersion"])
        if report.get("classification") is None:
            return Refusal(RefusalReason(report["refused"]), version)
        threshold = report.get("threshold")
        return Prediction(
            classification=Classification(report["classification"]),
            malignant_probability=float(report["malignantProbability"]),
            model_version=version,
            threshold=None if threshold is None else float(threshold),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ReportError(f"not an assessment ({type(exc).__name__}: {exc}): {dict(report)!r:.200}") from exc
