"""The fixed recommendation texts SpotCheck gives for each classification."""

from __future__ import annotations

from spotcheck.classifier.labels import Classification

__all__ = ["DISCLAIMER", "recommendation_for"]

_RECOMMENDATIONS = {
    Classification.MALIGNANT: (
        "Our analysis suggests that this lesion may require further examination. "
        "We strongly recommend consulting a dermatologist for a professional evaluation."
    ),
    Classification.BENIGN: (
        "Our analysis suggests that this lesion is likely benign. "
        "However, we recommend consulting a dermatologist to confirm and ensure your health and safety."
    ),
}

DISCLAIMER = (
    "SpotCheck is a screening aid, not a diagnosis. Only a dermatologist can diagnose a skin lesion; "
    "see one about any spot that changes, bleeds, itches or worries you, whatever this result says."
)


def recommendation_for(classification: Classification) -> str:
    return _RECOMMENDATIONS[classification]
