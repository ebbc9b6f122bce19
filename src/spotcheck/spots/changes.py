"""When a spot changed notably between two of its photos.

Consecutive photos the model judged (status done) are compared, oldest to newest. A change is
notable when
- the model's estimate crossed its threshold (the classification differs), or moved by more
  than ``ESTIMATE_STEP`` (15 percentage points);
- the measured lesion area (spots/measures.py) changed by more than ``AREA_RELATIVE`` (25 %)
  of the earlier photo's;
- the measured mean colour moved by more than ``COLOUR_DELTA_E`` (CIE76 ΔE 10; about 2.3 is
  just noticeable side by side).
Only notable changes are reported. The measures are rough (distance, zoom and light move them),
so a change is a reason to look again and to show the spot to a dermatologist, never a finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.gallery.service import ImageSummary
from spotcheck.spots.estimates import estimate_percent
from spotcheck.spots.measures import Measures, delta_e
from spotcheck.spots.photo_names import photo_in_words

__all__ = [
    "AREA_RELATIVE",
    "COLOUR_DELTA_E",
    "ESTIMATE_STEP",
    "Change",
    "ChangeKind",
    "MeasuredPhoto",
    "notable_changes",
]

ESTIMATE_STEP = 0.15
AREA_RELATIVE = 0.25
COLOUR_DELTA_E = 10.0


class ChangeKind(StrEnum):
    ESTIMATE = "estimate"
    SIZE = "size"
    COLOUR = "colour"


@dataclass(frozen=True, slots=True)
class MeasuredPhoto:
    image: ImageSummary
    measures: Measures | None


@dataclass(frozen=True, slots=True)
class Change:
    from_file: str
    to_file: str
    kind: ChangeKind
    message: str


def _words(classification: Classification) -> str:
    return "may need a closer look" if classification is Classification.MALIGNANT else "likely harmless"


def _estimate_change(before: ImageSummary, after: ImageSummary) -> str | None:
    p, q = before.malignant_probability, after.malignant_probability
    if p is None or q is None or before.classification is None or after.classification is None:
        return None
    between = f"between {photo_in_words(before)} and {photo_in_words(after)}"
    if before.classification is not after.classification:
        message = (
            f"The model's estimate went from {estimate_percent(p, before.classification)} "
            f"({_words(before.classification)}) to {estimate_percent(q, after.classification)} "
            f"({_words(after.classification)}) {between}."
        )
        if after.classification is Classification.BENIGN:
            message += " A retake can flip the answer, so the earlier result still counts."
        return message
    if abs(q - p) > ESTIMATE_STEP:
        earlier, later = estimate_percent(p, before.classification), estimate_percent(q, after.classification)
        return f"The model's estimate {'rose' if q > p else 'fell'} from {earlier} to {later} {between}."
    return None


def _size_change(before: ImageSummary, after: ImageSummary, a: Measures, b: Measures) -> str | None:
    if a.area_fraction <= 0:
        return None
    relative = (b.area_fraction - a.area_fraction) / a.area_fraction
    if abs(relative) <= AREA_RELATIVE:
        return None
    return (
        f"The lesion's measured size {'grew' if relative > 0 else 'shrank'} by {abs(relative):.0%} between "
        f"{photo_in_words(before)} and {photo_in_words(after)} (a rough measure: distance and zoom change it too)."
    )


def _colour_change(before: ImageSummary, after: ImageSummary, a: Measures, b: Measures) -> str | None:
    difference = delta_e(a.mean_colour, b.mean_colour)
    if difference <= COLOUR_DELTA_E:
        return None
    return (
        f"The lesion's measured colour changed between {photo_in_words(before)} and {photo_in_words(after)} "
        f"(colour difference ΔE {difference:.0f}; over {COLOUR_DELTA_E:.0f} counts as notable, "
        "and light changes it too)."
    )


def notable_changes(photos: Sequence[MeasuredPhoto]) -> list[Change]:
    """The notable changes between consecutive judged photos of ``photos`` (oldest first)."""
    judged = [p for p in photos if p.image.status is ImageStatus.DONE]
    changes: list[Change] = []
    for earlier, later in pairwise(judged):
        before, after = earlier.image, later.image
        found: list[tuple[ChangeKind, str | None]] = [(ChangeKind.ESTIMATE, _estimate_change(before, after))]
        if earlier.measures is not None and later.measures is not None:
            found.append((ChangeKind.SIZE, _size_change(before, after, earlier.measures, later.measures)))
            found.append((ChangeKind.COLOUR, _colour_change(before, after, earlier.measures, later.measures)))
        changes.extend(Change(before.file_name, after.file_name, kind, msg) for kind, msg in found if msg)
    return changes
