"""The photo gate: whether a photo is one the classifier may answer about, and if not, why."""

from spotcheck.photocheck.gate import GateSpec, refusal_after_model, refusal_before_model
from spotcheck.photocheck.quality import (
    DEFAULT_LIMITS,
    PhotoQuality,
    QualityLimits,
    judge_quality,
    measure_quality,
)
from spotcheck.photocheck.reasons import Guidance, RefusalReason, guidance_for

__all__ = [
    "DEFAULT_LIMITS",
    "GateSpec",
    "Guidance",
    "PhotoQuality",
    "QualityLimits",
    "RefusalReason",
    "guidance_for",
    "judge_quality",
    "measure_quality",
    "refusal_after_model",
    "refusal_before_model",
]
