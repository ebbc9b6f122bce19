"""Screening metrics for a malignant-probability score against true labels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score, roc_curve

__all__ = [
    "auc_interval",
    "expected_calibration_error",
    "screening_metrics",
    "specificity_at_sensitivity",
    "wilson_interval",
]


def auc_interval(
    y: np.ndarray,
    scores: np.ndarray,
    *,
    samples: int,
    seed: int,
    level: float = 0.95,
    groups: np.ndarray | None = None,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the ROC AUC.

    With ``groups`` (a lesion or patient id per image) whole groups are resampled, since images
    of one lesion are not independent; without, images are.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        members = None
        n = len(y)
    else:
        names, group_of = np.unique(groups, return_inverse=True)
        order = np.argsort(group_of, kind="stable")
        members = np.split(order, np.cumsum(np.bincount(group_of))[:-1])
        n = len(names)
    aucs = []
    for _ in range(samples):
        drawn = rng.integers(0, n, n)
        idx = drawn if members is None else np.concatenate([members[g] for g in drawn])
        if y[idx].min() == y[idx].max():
            continue
        aucs.append(roc_auc_score(y[idx], scores[idx]))
    if not aucs:
        raise ValueError(f"cannot bootstrap the ROC AUC: every resample of {n} groups holds a single class")
    tail = (1 - level) / 2
    low, high = np.quantile(aucs, [tail, 1 - tail])
    return float(low), float(high)


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % at the default ``z``); NaN for no trials."""
    if total == 0:
        return math.nan, math.nan
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return centre - half, centre + half


def specificity_at_sensitivity(y: np.ndarray, scores: np.ndarray, target: float) -> float:
    fpr, tpr, _ = roc_curve(y, scores)
    reach = tpr >= target - 1e-12
    return float(1.0 - fpr[reach].min())


def expected_calibration_error(y: np.ndarray, scores: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(scores, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(scores[mask].mean() - y[mask].mean())
    return float(total)


def screening_metrics(
    y: np.ndarray,
    scores: np.ndarray,
    *,
    threshold: float | np.ndarray,
    bootstrap_samples: int,
    seed: int,
    groups: np.ndarray | None = None,
    true_classes: np.ndarray | None = None,
    predicted_classes: np.ndarray | None = None,
) -> dict[str, Any]:
    """All figures of the evaluation report; ``y`` is 1 for malignant. ``threshold``: one for all, or
    each image's own (a model that routes dermatoscopic photos decides them at another)."""
    predicted = scores >= threshold
    values, counts = np.unique(np.broadcast_to(threshold, np.shape(scores)), return_counts=True)
    tp = int((predicted & (y == 1)).sum())
    fn = int((~predicted & (y == 1)).sum())
    tn = int((~predicted & (y == 0)).sum())
    fp = int((predicted & (y == 0)).sum())
    low, high = auc_interval(y, scores, samples=bootstrap_samples, seed=seed, groups=groups)
    result: dict[str, Any] = {
        "images": len(y),
        "malignant": int(y.sum()),
        "benign": int(len(y) - y.sum()),
        "roc_auc": float(roc_auc_score(y, scores)),
        "roc_auc_ci95": [low, high],
        "bootstrap_resamples": "lesions or patients" if groups is not None else "images",
        # The threshold most images were decided at, and every one with its count where there are several.
        "threshold": float(values[counts.argmax()]),
        **(
            {"thresholds": {f"{v:.4f}": int(c) for v, c in zip(values, counts, strict=True)}} if len(values) > 1 else {}
        ),
        "sensitivity": tp / max(tp + fn, 1),
        "specificity": tn / max(tn + fp, 1),
        "specificity_at_sensitivity_0.90": specificity_at_sensitivity(y, scores, 0.90),
        "specificity_at_sensitivity_0.95": specificity_at_sensitivity(y, scores, 0.95),
        "expected_calibration_error": expected_calibration_error(y, scores),
        "confusion_matrix": {"tp": tp, "fn": fn, "tn": tn, "fp": fp},
    }
    if true_classes is not None and predicted_classes is not None:
        result["balanced_accuracy_7class"] = float(balanced_accuracy_score(true_classes, predicted_classes))
    return result
