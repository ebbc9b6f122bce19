"""The user metadata SpotCheck keeps on each stored object (``x-amz-meta-*`` on S3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from spotcheck.classifier.base import Prediction
from spotcheck.classifier.labels import Classification

__all__ = ["UPLOAD_ID", "StoredLabel", "label_metadata", "read_label"]

UPLOAD_ID = "upload-id"
UPLOADED_AT = "uploaded-at"
CLASSIFICATION = "classification"
MALIGNANT_PROBABILITY = "malignant-probability"
MODEL_VERSION = "model-version"
CLASSIFIED_AT = "classified-at"


@dataclass(frozen=True, slots=True)
class StoredLabel:
    upload_id: str
    classification: Classification
    malignant_probability: float
    model_version: str
    classified_at: datetime


def label_metadata(
    current: Mapping[str, str], *, upload_id: str, prediction: Prediction, classified_at: datetime
) -> dict[str, str]:
    return {
        **current,
        UPLOAD_ID: upload_id,
        CLASSIFICATION: prediction.classification.value,
        MALIGNANT_PROBABILITY: f"{prediction.malignant_probability:.6f}",
        MODEL_VERSION: prediction.model_version,
        CLASSIFIED_AT: classified_at.isoformat(),
    }


def read_label(metadata: Mapping[str, str]) -> StoredLabel | None:
    """The label in an object's metadata, or None if it has none (or a malformed one)."""
    try:
        return StoredLabel(
            upload_id=metadata[UPLOAD_ID],
            classification=Classification(metadata[CLASSIFICATION]),
            malignant_probability=float(metadata[MALIGNANT_PROBABILITY]),
            model_version=metadata[MODEL_VERSION],
            classified_at=datetime.fromisoformat(metadata[CLASSIFIED_AT]),
        )
    except (KeyError, ValueError):
        return None
