"""Temperature scaling and the choice of the decision threshold, both on the validation split."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

__all__ = ["fit_temperature", "malignant_probability", "threshold_for_sensitivity"]


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (Guo et al., 2017)."""

    def nll(log_t: float) -> float:
        scaled = log_softmax(logits / np.exp(log_t), axis=1)
        return float(-scaled[np.arange(len(labels)), labels].mean())

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(result.x))


def malignant_probability(logits: np.ndarray, temperature: float, malignant: list[int]) -> np.ndarray:
    probabilities: np.ndarray = softmax(logits / temperature, axis=1)
    return np.asarray(probabilities[:, malignant].sum(axis=1), dtype=np.float64)


def threshold_for_sensitivity(scores: np.ndarray, is_malignant: np.ndarray, target: float) -> float:
    """A threshold whose sensitivity (score >= threshold) on these scores is at least ``target``.

    Of all such thresholds, it flags the fewest images. It sits halfway between the lowest
    malignant score that must be flagged and the next lower score, not on that score itself: the
    served model computes in float32, and a threshold exactly on a score could lose that image
    to rounding.
    """
    positives = np.sort(scores[is_malignant.astype(bool)])
    if positives.size == 0:
        raise ValueError("no malignant examples to set a threshold on")
    # Keep at least ceil(target * P) positives at or above the threshold.
    allowed_misses = int(np.floor((1.0 - target) * positives.size + 1e-9))
    lowest_flagged = float(positives[allowed_misses])
    below = scores[scores < lowest_flagged]
    next_lower = float(below.max()) if below.size else 0.0
    return (lowest_flagged + next_lower) / 2.0
