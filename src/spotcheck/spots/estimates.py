"""A model estimate as a percentage that never reads against its label.

Rounded to whole percents, an estimate just under the threshold (0.0491 against 0.0492) and one
just over it both read "5%", one "likely benign", the other "may need a closer look". So the
percentage rounds towards its label: down for a BENIGN result, up for a MALIGNANT one and for the
threshold itself; to one decimal under 10 % and to whole percents from there. A BENIGN estimate
then always reads below the threshold and a MALIGNANT one at or above it. The web page's
``percent`` (web/static/js/format.js) follows the same rule.
"""

from __future__ import annotations

import math

from spotcheck.classifier.labels import Classification

__all__ = ["estimate_percent"]

# Float noise: 0.049 * 1000 is 49.00000000000001, which must not round up to 50.
_EPSILON = 1e-9


def estimate_percent(probability: float, classification: Classification | None = None) -> str:
    """``probability`` as "4.9%", rounded towards ``classification`` (to the nearest without one)."""
    value = probability * 100
    if value < 0.1 and classification is not Classification.MALIGNANT:
        return "less than 0.1%"
    if value > 99 and classification is not Classification.BENIGN:
        return "more than 99%"
    decimals = 1 if value < 10 else 0
    scaled = value * 10**decimals
    if classification is Classification.BENIGN:
        scaled = math.floor(scaled + _EPSILON)
    elif classification is Classification.MALIGNANT:
        scaled = math.ceil(scaled - _EPSILON)
    else:
        scaled = math.floor(scaled + 0.5)
    return f"{scaled / 10**decimals:.{decimals}f}%"
