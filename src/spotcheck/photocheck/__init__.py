"""The photo gate: whether a photo is one the classifier may answer about, and if not, why."""

from spotcheck.photocheck.quality import (
    DEFAULT_LIMITS,
    PhotoQuality,
    QualityLimits,
    judge_quality,
    measure_quality,
)
from spotcheck.photocheck.reasons import RefusalReason

__all__ = ["DEFAULT_LIMITS", "PhotoQuality", "QualityLimits", "RefusalReason", "judge_quality", "measure_quality"]
