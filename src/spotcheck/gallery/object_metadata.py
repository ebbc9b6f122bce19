"""The user metadata SpotCheck keeps on each stored object (``x-amz-meta-*`` on S3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from spotcheck.classifier.base import Assessment, Prediction, Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.photocheck.reasons import RefusalReason

__all__ = ["UPLOAD_ID", "StoredLabel", "label_metadata", "read_label"]

UPLOAD_ID = "upload-id"
UPLOADED_AT = "uploaded-at"
CLASSIFICATION = "classification"
MALIGNANT_PROBABILITY = "malignant-probability"
THRESHOLD = "threshold"  # the score from which the photo was MALIGNANT; absent on labels from before it was kept
MODEL_VERSION = "model-version"
CLASSIFIED_AT = "classified-at"
REFUSED = "refused"  # the photo gate's reason, instead of a classification


@dataclass(frozen=True, slots=True)
class StoredLabel:
    """The label of one upload: the model's classification, or the photo gate's refusal."""

    upload_id: str
    classified_at: datetime
    assessment: Assessment  # its probability as written in the metadata; never a heatmap

    @property
    def model_version(self) -> str:
        return self.assessment.model_version


def label_metadata(
    current: Mapping[str, str], *, upload_id: str, assessment: Assessment, classified_at: datetime
) -> dict[str, str]:
    kept = {k: v for k, v in current.items() if k not in (CLASSIFICATION, MALIGNANT_PROBABILITY, THRESHOLD, REFUSED)}
    outcome = (
        {
            CLASSIFICATION: assessment.classification.value,
            MALIGNANT_PROBABILITY: f"{assessment.malignant_probability:.6f}",
            **({THRESHOLD: repr(float(assessment.threshold))} if assessment.threshold is not None else {}),
        }
        if isinstance(assessment, Prediction)
        else {REFUSED: assessment.reason.value}
    )
    return {
        **kept,
        UPLOAD_ID: upload_id,
        **outcome,
        MODEL_VERSION: assessment.model_version,
        CLASSIFIED_AT: classified_at.isoformat(),
    }


def read_label(metadata: Mapping[str, str]) -> StoredLabel | None:
    """The label in an object's metadata, or None if it has none (or a malformed one)."""
    try:
        upload_id, model_version = metadata[UPLOAD_ID], metadata[MODEL_VERSION]
        classified_at = datetime.fromisoformat(metadata[CLASSIFIED_AT])
        assessment: Assessment
        if REFUSED in metadata:
            assessment = Refusal(RefusalReason(metadata[REFUSED]), model_version)
        else:
            threshold = metadata.get(THRESHOLD)
            assessment = Prediction(
                Classification(metadata[CLASSIFICATION]),
                float(metadata[MALIGNANT_PROBABILITY]),
                model_version,
                None if threshold is None else float(threshold),
            )
        return StoredLabel(upload_id, classified_at, assessment)
    except (KeyError, ValueError):
        return None
