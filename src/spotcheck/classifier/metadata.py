"""The small file that travels beside a model's weights and says how to use them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from spotcheck.photocheck.gate import GateSpec

__all__ = ["DermatoscopicRoute", "HeatmapSpec", "InputSpec", "ModelMetadata"]


_Positive = Annotated[float, Field(gt=0.0)]


class InputSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    height: int = Field(gt=0)
    width: int = Field(gt=0)
    mean: tuple[float, float, float]
    std: tuple[_Positive, _Positive, _Positive]
    # How a photo of another shape reaches the input size. "stretch" resizes it whole (the first
    # models); "crop" turns a portrait photo to landscape (a lesion has no canonical orientation)
    # and cuts the centre to the input's aspect ratio, so a square phone photo keeps its proportions.
    fit: Literal["stretch", "crop"] = "stretch"


class HeatmapSpec(BaseModel):
    """How the graph's ``heatmap`` output, "where the model looked", is computed (see
    ``spotcheck.training.heatmap_output``)."""

    model_config = ConfigDict(frozen=True)

    method: Literal["class-activation-map"] = "class-activation-map"
    # The last feature maps (one per network) the map is read from, and the mirror views averaged.
    feature_maps: tuple[str, ...]
    views: int = Field(default=1, ge=1)
    # A photo the dermatoscopic route takes: these feature maps (the expert's) too, averaged with the
    # first network's as their logits are (``spotcheck.training.route_heatmap``). Empty: its map is
    # the first network's alone.
    routed_feature_maps: tuple[str, ...] = ()


class DermatoscopicRoute(BaseModel):
    """Photos the graph takes for a dermatoscope's also get an expert network's opinion, and their own
    operating point (``spotcheck.training.dermatoscopic_route``); phone photos keep the first network."""

    model_config = ConfigDict(frozen=True)

    # The graph's (N,) output: the chance that the photo is dermatoscopic. At or above ``cut`` the
    # graph routes the photo (the cut is applied inside the graph; here it says which photos were).
    output: str = "dermatoscopic_probability"
    cut: float = Field(gt=0.0, lt=1.0)
    threshold: float = Field(ge=0.0, le=1.0)
    temperature: float = Field(gt=0.0)
    expert: str = Field(description="The expert network: the model version it comes from, and which member.")


class ModelMetadata(BaseModel):
    """Everything serving needs besides the weights (input size, normalisation, classes, threshold)."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    input: InputSpec
    classes: tuple[str, ...] = Field(min_length=2)
    malignant_classes: frozenset[str] = Field(min_length=1)
    threshold: float = Field(ge=0.0, le=1.0)
    temperature: float = Field(default=1.0, gt=0.0)
    # The photo gate: None answers about every photo (test models, the first releases).
    gate: GateSpec | None = None
    # The heatmap output: None for models without one (they answer all the same).
    heatmap: HeatmapSpec | None = None
    # The dermatoscopic route: None for models that judge every photo with one network.
    dermatoscopic_route: DermatoscopicRoute | None = None
    metrics: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _malignant_classes_are_classes(self) -> ModelMetadata:
        unknown = self.malignant_classes - set(self.classes)
        if unknown:
            raise ValueError(f"malignant_classes {sorted(unknown)} are not among classes {list(self.classes)}")
        return self

    @property
    def malignant_indices(self) -> list[int]:
        return [i for i, name in enumerate(self.classes) if name in self.malignant_classes]

    def threshold_for(self, *, routed: bool) -> float:
        """The decision threshold of a photo the graph routed as dermatoscopic, or of any other photo."""
        return self.dermatoscopic_route.threshold if routed and self.dermatoscopic_route else self.threshold

    @classmethod
    def read(cls, path: Path) -> ModelMetadata:
        return cls.model_validate_json(path.read_text())

    def write(self, path: Path) -> None:
        data = self.model_dump(mode="json")
        data["malignant_classes"] = sorted(self.malignant_classes)
        path.write_text(json.dumps(data, indent=2) + "\n")
