"""What a lesion classifier is to the rest of SpotCheck."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from PIL import Image

from spotcheck.classifier.labels import Classification
from spotcheck.classifier.metadata import InputSpec, ModelMetadata
from spotcheck.photocheck.reasons import RefusalReason

__all__ = [
    "Assessment",
    "Classifier",
    "Heatmap",
    "HeatmapsOnRequest",
    "ModelServerUnavailableError",
    "ModelUnavailableError",
    "Prediction",
    "PreparedPhoto",
    "PreparesPhotos",
    "Refusal",
    "classify_with_heatmaps",
]


class ModelUnavailableError(Exception):
    """No usable model file (missing, unreadable or inconsistent with its metadata)."""


class ModelServerUnavailableError(Exception):
    """The server that runs the model cannot be reached or is not ready: an outage, no fault of the photo."""


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Where the model looked: (h, w) weights toward "closer look" over the model's input, at the last
    feature map's resolution, >= 0 and unscaled, and how the photo was fitted to that input
    (``spotcheck.classifier.heatmap`` lays it back onto the photo)."""

    weights: np.ndarray
    fit: InputSpec


@dataclass(frozen=True, slots=True)
class Prediction:
    classification: Classification
    malignant_probability: float
    model_version: str
    # The score from which this photo is MALIGNANT (a dermatoscopic route has its own); None where the
    # classifier does not say (a label written before it was recorded, an older model server).
    threshold: float | None = None
    # None when the model has no heatmap output.
    heatmap: Heatmap | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A photo the model may not answer about (the photo gate): never a BENIGN/MALIGNANT label."""

    reason: RefusalReason
    model_version: str


Assessment = Prediction | Refusal


class Classifier(Protocol):
    @property
    def version(self) -> str: ...

    @property
    def metadata(self) -> ModelMetadata | None:
        """The model's own facts (threshold, classes, released metrics), where this process holds its
        metadata file; None for a model behind a server, which reports its version only."""
        ...

    def classify(self, images: Sequence[Image.Image]) -> list[Assessment]:
        """One prediction, or a refusal, per image, in order."""
        ...


@runtime_checkable
class HeatmapsOnRequest(Protocol):
    """A classifier whose heatmaps cost extra (the graph's extra nodes; a model server also encodes
    and sends them): ``classify`` leaves them out, this gives them."""

    def classify_with_heatmaps(self, images: Sequence[Image.Image]) -> list[Assessment]: ...


# A photo as a model's input, (H, W, 3) uint8, or the photo gate's refusal of the photo itself.
PreparedPhoto = np.ndarray | Refusal


@runtime_checkable
class PreparesPhotos(Protocol):
    """A classifier whose work on each photo before its pass (the gate's own checks, the resize) can be
    done apart from the pass, in another thread: ``assess([prepare(image)])`` is ``classify([image])``."""

    def prepare(self, image: Image.Image) -> PreparedPhoto: ...

    def assess(self, prepared: Sequence[PreparedPhoto]) -> list[Assessment]: ...


def classify_with_heatmaps(classifier: Classifier, images: Sequence[Image.Image]) -> list[Assessment]:
    """``classify``, with each prediction's heatmap where the model gives one."""
    if isinstance(classifier, HeatmapsOnRequest):
        return classifier.classify_with_heatmaps(images)
    return classifier.classify(images)
