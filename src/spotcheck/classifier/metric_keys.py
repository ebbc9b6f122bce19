"""Names of the test figures a model carries in its metadata: ``test_<metric>_<kind of photo>``.

Training writes them and the API reads them; both go through here. (In ``classifier/`` because
serving must not import training.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

__all__ = ["KEY_METRICS", "KeyMetric", "metric_by_kind", "metric_key"]

KeyMetric = Literal["roc_auc", "sensitivity", "specificity", "expected_calibration_error"]
KEY_METRICS: Final[tuple[KeyMetric, ...]] = ("roc_auc", "sensitivity", "specificity", "expected_calibration_error")


def _prefix(metric: KeyMetric) -> str:
    if metric not in KEY_METRICS:
        raise ValueError(f"unknown key metric {metric!r}; expected one of {', '.join(KEY_METRICS)}")
    return f"test_{metric}_"


def metric_key(metric: KeyMetric, kind: str) -> str:
    """The metadata key of ``metric`` on the test photos of ``kind`` (``dermatoscopic``, ``smartphone``)."""
    return _prefix(metric) + kind


def metric_by_kind(metrics: Mapping[str, float], metric: KeyMetric) -> dict[str, float]:
    """Each kind of photo's value of ``metric`` among ``metrics``, keyed by the kind."""
    prefix = _prefix(metric)
    return {key.removeprefix(prefix): value for key, value in metrics.items() if key.startswith(prefix)}
