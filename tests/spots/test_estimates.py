"""Estimates as percentages in summaries and reports: never reading against their label.

(The page shows no percentage any more: natural frequencies from GET /model, and the raw score.)
"""

from __future__ import annotations

import pytest

from spotcheck.classifier.labels import Classification
from spotcheck.spots.estimates import estimate_percent

BENIGN, MALIGNANT = Classification.BENIGN, Classification.MALIGNANT


def _number(text: str) -> float:
    """What a reader takes the text for: "less than 0.1%" is under 0.1, "more than 99%" over 99."""
    if text.startswith("less than"):
        return 0.05
    if text.startswith("more than"):
        return 99.5
    return float(text.removesuffix("%"))


@pytest.mark.parametrize(
    ("probability", "classification", "text"),
    [
        (0.049139, BENIGN, "4.9%"),  # just under the shipped threshold 0.0492: was "5%"
        (0.049198, MALIGNANT, "5.0%"),
        (0.07, BENIGN, "7.0%"),
        (0.42, MALIGNANT, "42%"),
        (0.0004, BENIGN, "less than 0.1%"),
        (0.004, BENIGN, "0.4%"),
        (0.004, MALIGNANT, "0.4%"),
        (0.996, MALIGNANT, "more than 99%"),
        (0.0951, None, "9.5%"),
        (0.426, None, "43%"),
    ],
)
def test_examples(probability: float, classification: Classification | None, text: str) -> None:
    assert estimate_percent(probability, classification) == text


@pytest.mark.parametrize("threshold", [0.0049, 0.0492, 0.0543, 0.0999, 0.1, 0.25, 0.5])
def test_a_benign_estimate_reads_under_the_threshold_and_a_flagged_one_at_or_over_it(threshold: float) -> None:
    limit = _number(estimate_percent(threshold, MALIGNANT))
    for step in range(-300, 301):
        probability = min(max(threshold + step * 1e-4, 0.0), 1.0)
        label = MALIGNANT if probability >= threshold else BENIGN
        shown = _number(estimate_percent(probability, label))
        assert (shown >= limit) if label is MALIGNANT else (shown < limit), (probability, label, shown, limit)
        assert abs(shown - probability * 100) <= 1.0
