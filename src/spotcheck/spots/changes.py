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
Its sentence speaks plainly ("the colour changed noticeably", never a ΔE), and each change also
carries its parts (the two photos, the direction, the size's relative change) for a client that
words it in its own language or the person's local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from itertools import pairwise

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.gallery.rows import ImageSummary
from spotcheck.spots.estimates import estimate_percent
from spotcheck.spots.measures import Measures, delta_e
from spotcheck.spots.photo_names import between_photos

__all__ = [
    "AREA_RELATIVE",
    "COLOUR_DELTA_E",
    "ESTIMATE_STEP",
    "Change",
    "ChangeDirection",
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


class ChangeDirection(StrEnum):
    """The estimate rose or the size grew (up), or they fell or shrank (down); a colour has none."""

    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class MeasuredPhoto:
    image: ImageSummary
    measures: Measures | None


@dataclass(frozen=True, slots=True)
class Change:
    """A notable change from the photo ``before`` to the later photo ``after``."""

    before: ImageSummary
    after: ImageSummary
    kind: ChangeKind
    message: str
    direction: ChangeDirection | None = None
    relative_size: float | None = None  # size only: the area's change relative to the earlier photo's

    @property
    def from_file(self) -> str:
        return self.before.file_name

    @property
    def to_file(self) -> str:
        return self.after.file_name

    @property
    def from_uploaded_at(self) -> datetime:
        return self.before.uploaded_at

    @property
    def to_uploaded_at(self) -> datetime:
        return self.after.uploaded_at


def _words(classification: Classification) -> str:
    return "may need a closer look" if classification is Classification.MALIGNANT else "likely benign"


def _up_or_down(rose: bool) -> ChangeDirection:
    return ChangeDirection.UP if rose else ChangeDirection.DOWN


def _estimate_change(before: ImageSummary, after: ImageSummary, zone: tzinfo) -> Change | None:
    p, q = before.malignant_probability, after.malignant_probability
    if p is None or q is None or before.classification is None or after.classification is None:
        return None
    between = between_photos(before, after, zone=zone)
    if before.classification is not after.classification:
        message = (
            f"The model's estimate went from {estimate_percent(p, before.classification)} "
            f"({_words(before.classification)}) to {estimate_percent(q, after.classification)} "
            f"({_words(after.classification)}) {between}."
        )
        if after.classification is Classification.BENIGN:
            message += " A retake can flip the answer, so the earlier result still counts."
        rose = after.classification is Classification.MALIGNANT
        return Change(before, after, ChangeKind.ESTIMATE, message, _up_or_down(rose))
    if abs(q - p) > ESTIMATE_STEP:
        earlier, later = estimate_percent(p, before.classification), estimate_percent(q, after.classification)
        message = f"The model's estimate {'rose' if q > p else 'fell'} from {earlier} to {later} {between}."
        return Change(before, after, ChangeKind.ESTIMATE, message, _up_or_down(q > p))
    return None


def _size_change(earlier: MeasuredPhoto, later: MeasuredPhoto, a: Measures, b: Measures, zone: tzinfo) -> Change | None:
    if a.area_fraction <= 0:
        return None
    relative = (b.area_fraction - a.area_fraction) / a.area_fraction
    if abs(relative) <= AREA_RELATIVE:
        return None
    message = (
        f"The lesion's measured size {'grew' if relative > 0 else 'shrank'} by {abs(relative):.0%} "
        f"{between_photos(earlier.image, later.image, zone=zone)} (a rough measure: distance and zoom change it too)."
    )
    return Change(earlier.image, later.image, ChangeKind.SIZE, message, _up_or_down(relative > 0), relative)


def _colour_change(
    earlier: MeasuredPhoto, later: MeasuredPhoto, a: Measures, b: Measures, zone: tzinfo
) -> Change | None:
    if delta_e(a.mean_colour, b.mean_colour) <= COLOUR_DELTA_E:
        return None
    message = (
        f"The lesion's measured colour changed noticeably {between_photos(earlier.image, later.image, zone=zone)} "
        "(light changes it too)."
    )
    return Change(earlier.image, later.image, ChangeKind.COLOUR, message)


def notable_changes(photos: Sequence[MeasuredPhoto], *, zone: tzinfo = UTC) -> list[Change]:
    """The notable changes between consecutive judged photos of ``photos`` (oldest first); their
    sentences give times in ``zone``."""
    judged = [p for p in photos if p.image.status is ImageStatus.DONE]
    changes: list[Change] = []
    for earlier, later in pairwise(judged):
        found = [_estimate_change(earlier.image, later.image, zone)]
        a, b = earlier.measures, later.measures
        if a is not None and b is not None:
            found += [_size_change(earlier, later, a, b, zone), _colour_change(earlier, later, a, b, zone)]
        changes.extend(change for change in found if change is not None)
    return changes
