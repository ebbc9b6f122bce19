"""What a lesion classifier is to the rest of SpotCheck."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from spotcheck.classifier.labels import Classification

__all__ = ["Classifier", "ModelUnavailableError", "Prediction"]


class ModelUnavailableError(Exception):
    """No usable model file (missing, unreadable or inconsistent with its metadata)."""


@dataclass(frozen=True, slots=True)
class Prediction:
    classification: Classification
    malignant_probability: float
    model_version: str


class Classifier(Protocol):
    @property
    def version(self) -> str: ...

    def classify(self, images: Sequence[Image.Image]) -> list[Prediction]:
        """One prediction per image, in order."""
        ...
