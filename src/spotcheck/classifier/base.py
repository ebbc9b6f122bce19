"""What a lesion classifier is to the rest of SpotCheck."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from spotcheck.classifier.labels import Classification
from spotcheck.photocheck.reasons import RefusalReason

__all__ = ["Assessment", "Classifier", "ModelUnavailableError", "Prediction", "Refusal"]


class ModelUnavailableError(Exception):
    """No usable model file (missing, unreadable or inconsistent with its metadata)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    classification: Classification
    malignant_probability: float
    model_version: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A photo the model may not answer about (the photo gate): never a BENIGN/MALIGNANT label."""

    reason: RefusalReason
    model_version: str


Assessment = Prediction | Refusal


class Classifier(Protocol):
    @property
    def version(self) -> str: ...

    def classify(self, images: Sequence[Image.Image]) -> list[Assessment]:
        """One prediction, or a refusal, per image, in order."""
        ...
