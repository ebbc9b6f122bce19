"""Diagnoses of the training data and how SpotCheck groups them."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DIAGNOSES", "MALIGNANT_DIAGNOSES", "MALIGNANT_INDICES", "Classification"]


class Classification(StrEnum):
    BENIGN = "BENIGN"
    MALIGNANT = "MALIGNANT"


# Order fixes the model's output index of each diagnosis.
DIAGNOSES: tuple[str, ...] = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
MALIGNANT_DIAGNOSES: frozenset[str] = frozenset({"mel", "bcc", "akiec"})
# Output indices of the malignant diagnoses, for a model with the DIAGNOSES head.
MALIGNANT_INDICES: list[int] = [i for i, dx in enumerate(DIAGNOSES) if dx in MALIGNANT_DIAGNOSES]
