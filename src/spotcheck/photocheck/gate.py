"""The photo gate's decision: what a model's gate settings refuse before and after the model runs."""

from __future__ import annotations

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from spotcheck.photocheck.quality import DEFAULT_LIMITS, QualityLimits, judge_quality, measure_quality
from spotcheck.photocheck.reasons import RefusalReason

__all__ = ["GateSpec", "refusal_after_model", "refusal_before_model"]


class GateSpec(BaseModel):
    """A model's photo gate, carried in its metadata file (``gate``).

    ``lesion_threshold``: photos whose lesion probability (the graph's ``lesion_probability``
    output) is below it are refused as not a lesion; None when the graph has no such output.
    """

    model_config = ConfigDict(frozen=True)

    min_side: int = Field(default=96, ge=1, description="Shortest side in pixels a photo must have.")
    min_sharpness: float = DEFAULT_LIMITS.min_sharpness
    min_bright_level: float = DEFAULT_LIMITS.min_bright_level
    max_white_fraction: float = DEFAULT_LIMITS.max_white_fraction
    lesion_threshold: float | None = Field(default=None, ge=0.0, le=1.0)

    @property
    def quality_limits(self) -> QualityLimits:
        return QualityLimits(
            min_sharpness=self.min_sharpness,
            min_bright_level=self.min_bright_level,
            max_white_fraction=self.max_white_fraction,
        )


def refusal_before_model(image: Image.Image, gate: GateSpec) -> RefusalReason | None:
    """Too small, too dark, too bright or blurry, judged from the photo itself."""
    if min(image.size) < gate.min_side:
        return RefusalReason.TOO_SMALL
    return judge_quality(measure_quality(image), gate.quality_limits)


def refusal_after_model(lesion_probability: float | None, gate: GateSpec) -> RefusalReason | None:
    """Not a lesion, judged from the model's own lesion probability."""
    if gate.lesion_threshold is None or lesion_probability is None:
        return None
    return RefusalReason.NOT_A_LESION if lesion_probability < gate.lesion_threshold else None
