from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from spotcheck.training.metrics import (
    auc_interval,
    expected_calibration_error,
    screening_metrics,
    specificity_at_sensitivity,
    wilson_interval,
)

pytestmark = pytest.mark.training

# Four malignant, four benign. Pairs (malignant, benign) ranked correctly: 13 of 16, so AUC 0.8125.
Y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
SCORES = np.array([0.9, 0.8, 0.6, 0.3, 0.7, 0.4, 0.2, 0.1])


def test_roc_auc_by_hand() -> None:
    metrics = screening_metrics(Y, SCORES, threshold=0.5, bootstrap_samples=50, seed=0)
    assert metrics["roc_auc"] == pytest.approx(13 / 16)


def test_counts_at_the_threshold() -> None:
    metrics = screening_metrics(Y, SCORES, threshold=0.5, bootstrap_samples=50, seed=0)
    assert metrics["confusion_matrix"] == {"tp": 3, "fn": 1, "tn": 3, "fp": 1}
    assert (metrics["sensitivity"], metrics["specificity"]) == (0.75, 0.75)
    assert (metrics["images"], metrics["malignant"], metrics["benign"]) == (8, 4, 4)
    # A score equal to the threshold counts as malignant.
    assert screening_metrics(Y, SCORES, threshold=0.3, bootstrap_samples=50, seed=0)["sensitivity"] == 1.0


def test_specificity_at_sensitivity_by_hand() -> None:
    # Sensitivity 0.75 first at threshold 0.6 (benign 0.7 above it: specificity 0.75);
    # sensitivity 1.0 only at 0.3, where 0.7 and 0.4 are above it: specificity 0.5.
    assert specificity_at_sensitivity(Y, SCORES, 0.75) == 0.75
    assert specificity_at_sensitivity(Y, SCORES, 0.9) == 0.5
    assert specificity_at_sensitivity(Y, SCORES, 1.0) == 0.5
    assert specificity_at_sensitivity(Y, SCORES, 0.5) == 1.0


def test_expected_calibration_error_by_hand() -> None:
    y = np.array([0, 1, 1, 1])
    scores = np.array([0.05, 0.05, 0.95, 0.95])
    # Bin [0, 0.1): says 0.05, observes 0.5; bin [0.9, 1]: says 0.95, observes 1. Each holds half.
    assert expected_calibration_error(y, scores) == pytest.approx(0.5 * 0.45 + 0.5 * 0.05)


def test_calibrated_scores_have_no_calibration_error() -> None:
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    scores = np.array([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75])
    assert expected_calibration_error(y, scores) == pytest.approx(0.0)
    # Score 1.0 lands in the last bin, not past it.
    assert expected_calibration_error(np.array([1]), np.array([1.0])) == pytest.approx(0.0)


def test_bootstrap_interval_contains_the_estimate_and_is_reproducible() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random(300) < 0.3).astype(np.int64)
    scores = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    metrics = screening_metrics(y, scores, threshold=0.5, bootstrap_samples=300, seed=1)
    low, high = metrics["roc_auc_ci95"]
    assert low < metrics["roc_auc"] < high
    assert high - low < 0.2
    assert auc_interval(y, scores, samples=300, seed=1) == (low, high)
    assert auc_interval(y, scores, samples=300, seed=2) != (low, high)


def test_bootstrap_of_one_class_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="single class"):
        auc_interval(np.array([1, 1, 1]), np.array([0.1, 0.2, 0.3]), samples=10, seed=0)


def test_seven_class_balanced_accuracy_is_reported_when_classes_are_given() -> None:
    true = np.array([0, 0, 1, 1, 2, 2, 3, 4])
    predicted = np.array([0, 1, 1, 1, 2, 0, 3, 4])
    metrics = screening_metrics(
        Y, SCORES, threshold=0.5, bootstrap_samples=20, seed=0, true_classes=true, predicted_classes=predicted
    )
    assert metrics["balanced_accuracy_7class"] == pytest.approx((0.5 + 1 + 0.5 + 1 + 1) / 5)
    assert "balanced_accuracy_7class" not in screening_metrics(Y, SCORES, threshold=0.5, bootstrap_samples=20, seed=0)


def test_wilson_interval_by_hand() -> None:
    # 8 of 10: the published Wilson 95 % interval is 0.490-0.943; none of 0 trials has no interval.
    low, high = wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert all(np.isnan(bound) for bound in wilson_interval(0, 0))
