from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax

pytest.importorskip("torch")

from spotcheck.training.calibration import fit_temperature, malignant_probability, threshold_for_sensitivity

pytestmark = pytest.mark.training


def _sensitivity(scores: np.ndarray, is_malignant: np.ndarray, threshold: float) -> float:
    return float((scores[is_malignant == 1] >= threshold).mean())


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_fit_recovers_the_temperature_of_synthetic_logits(true_temperature: float) -> None:
    rng = np.random.default_rng(0)
    calibrated = rng.normal(0.0, 2.0, size=(20_000, 7))
    # Labels drawn from softmax(calibrated); the model reports the logits scaled by T, so T undoes it.
    cumulative = softmax(calibrated, axis=1).cumsum(axis=1)
    labels = np.minimum((rng.random((len(calibrated), 1)) > cumulative).sum(axis=1), 6)
    fitted = fit_temperature(calibrated * true_temperature, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.05)


def test_malignant_probability_sums_the_malignant_classes() -> None:
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))
    np.testing.assert_allclose(malignant_probability(logits, 1.0, [0, 1]), [0.3, 0.75])
    np.testing.assert_allclose(malignant_probability(logits * 2, 2.0, [2]), [0.7, 0.25])


def test_threshold_by_hand() -> None:
    scores = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.01])
    is_malignant = np.array([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    # Ten positives: 0.9 sensitivity may miss one (0.1), so the threshold is the next one up.
    # Halfway between the lowest score that must be flagged and the next lower score.
    assert threshold_for_sensitivity(scores, is_malignant, 0.9) == pytest.approx(0.15)
    assert threshold_for_sensitivity(scores, is_malignant, 0.95) == pytest.approx(0.075)
    assert threshold_for_sensitivity(scores, is_malignant, 1.0) == pytest.approx(0.075)
    assert threshold_for_sensitivity(scores, is_malignant, 0.5) == pytest.approx(0.55)


def test_exact_fractions_are_not_lost_to_rounding() -> None:
    # (1 - 0.95) * 20 is 1.0000000000000009 and (1 - 0.9) * 10 is 0.9999999999999998 in floats.
    twenty = np.linspace(0.01, 0.2, 20)
    assert threshold_for_sensitivity(twenty, np.ones(20), 0.95) == pytest.approx((twenty[0] + twenty[1]) / 2)
    ten = np.linspace(0.1, 1.0, 10)
    assert threshold_for_sensitivity(ten, np.ones(10), 0.9) == pytest.approx((ten[0] + ten[1]) / 2)


@pytest.mark.parametrize("seed", range(20))
def test_threshold_flags_the_fewest_images_that_reach_the_target(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    scores = np.round(rng.random(n), 2)  # rounding makes ties
    is_malignant = (rng.random(n) < 0.3).astype(np.int64)
    is_malignant[0] = 1
    target = float(rng.choice([0.8, 0.9, 0.95, 0.99, 1.0]))
    threshold = threshold_for_sensitivity(scores, is_malignant, target)
    assert _sensitivity(scores, is_malignant, threshold) >= target
    # The next score above the threshold is the lowest flagged one; raising the threshold past it misses the target.
    lowest_flagged = scores[scores >= threshold].min()
    assert _sensitivity(scores, is_malignant, float(np.nextafter(lowest_flagged, 2.0))) < target
    # The threshold sits strictly below the lowest flagged score, with no score in between.
    assert threshold < lowest_flagged or lowest_flagged == 0.0  # nothing lies below a score of 0
    assert not ((scores >= threshold) & (scores < lowest_flagged)).any()


def test_no_malignant_examples() -> None:
    with pytest.raises(ValueError, match="no malignant examples"):
        threshold_for_sensitivity(np.array([0.1, 0.2]), np.array([0, 0]), 0.95)
