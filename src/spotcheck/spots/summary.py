"""A spot in one sentence: never more reassuring than the most worrying of its recent photos.

A retake can flip the model's answer (on withheld dermatoscopic lesions with several photos, 59
of 299 got different labels across their photos, and 9 of 81 cancers had at least one photo
called benign), so a harmless-looking newer photo never cancels a worrying recent one. The
recent photos are the last ``RECENT_COUNT`` or those of the last ``RECENT_DAYS`` days, whichever
are more. Levels, most cautious first: worrying (a photo flagged, a warning sign the patient
noted for a recent photo, or a notable change between recent photos), pending (one still being
analysed), reassuring, unusable (none could be judged), none (no photos).

The patient's warning signs count whatever the photos look like: the model misses some melanomas
that look like nevi on phone photos (MODEL_CARD.md), and a spot that grows or bleeds is reason
enough to see a dermatologist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.gallery.rows import ImageSummary
from spotcheck.spots.answers import Answers, warning_signs
from spotcheck.spots.changes import Change
from spotcheck.spots.photo_names import photo_in_words

__all__ = ["RECENT_COUNT", "RECENT_DAYS", "RULE", "Summary", "SummaryLevel", "recent_photos", "summarise"]

RECENT_COUNT = 3
RECENT_DAYS = 90
RULE = (
    f"A spot is summed up by the most worrying of its recent photos (the last {RECENT_COUNT}, "
    f"or all from the last {RECENT_DAYS} days if there are more)."
)


class SummaryLevel(StrEnum):
    WORRYING = "worrying"
    PENDING = "pending"
    REASSURING = "reassuring"
    UNUSABLE = "unusable"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Summary:
    level: SummaryLevel
    message: str
    based_on: str | None


def recent_photos(photos: Sequence[ImageSummary], *, now: datetime) -> list[ImageSummary]:
    """The last RECENT_COUNT photos, or those of the last RECENT_DAYS days if they are more (oldest first)."""
    ordered = sorted(photos, key=lambda p: (p.uploaded_at, p.file_name))
    since = now - timedelta(days=RECENT_DAYS)
    by_date = [p for p in ordered if p.uploaded_at >= since]
    by_count = ordered[-RECENT_COUNT:]
    return by_date if len(by_date) > len(by_count) else by_count


def summarise(
    photos: Sequence[ImageSummary],
    changes: Sequence[Change],
    *,
    answers: Mapping[str, Answers] | None = None,
    now: datetime,
    zone: tzinfo = UTC,
) -> Summary:
    """The spot's summary from its photos, the notable changes between them and the patient's
    answers about them (by fileName); photo times in ``zone``."""
    recent = recent_photos(photos, now=now)
    if not recent:
        return Summary(SummaryLevel.NONE, "No photos of this spot yet.", None)
    judged = [p for p in recent if p.status is ImageStatus.DONE and p.malignant_probability is not None]
    flagged = [p for p in judged if p.classification is Classification.MALIGNANT]
    if flagged:
        worst = max(flagged, key=lambda p: (p.malignant_probability or 0.0, p.uploaded_at))
        return Summary(
            SummaryLevel.WORRYING,
            f"{photo_in_words(worst, start=True, zone=zone)} may need a closer look. {RULE} "
            "A newer photo that looks harmless does not cancel it: show this spot to a dermatologist.",
            worst.file_name,
        )
    noted = [(p, signs) for p in recent if (signs := warning_signs((answers or {}).get(p.file_name)))]
    if noted:
        photo, signs = noted[-1]
        return Summary(
            SummaryLevel.WORRYING,
            f"You noted that this spot {_listed(signs)} ({photo_in_words(photo, zone=zone)}). "
            f"{'That is a warning sign' if len(signs) == 1 else 'Those are warning signs'} whatever the photos "
            f"look like: show this spot to a dermatologist. {RULE}",
            photo.file_name,
        )
    names = {p.file_name for p in recent}
    recent_changes = [c for c in changes if c.from_file in names and c.to_file in names]
    if recent_changes:
        change = recent_changes[-1]
        return Summary(
            SummaryLevel.WORRYING,
            f"{change.message} {RULE} A spot that changes is worth showing to a dermatologist.",
            change.to_file,
        )
    pending = [p for p in recent if p.status is ImageStatus.PENDING]
    if pending:
        return Summary(
            SummaryLevel.PENDING,
            f"{photo_in_words(pending[-1], start=True, zone=zone)} is still being analysed; "
            f"the summary follows once it is. {RULE}",
            pending[-1].file_name,
        )
    if judged:
        worst = max(judged, key=lambda p: (p.malignant_probability or 0.0, p.uploaded_at))
        unjudged = len(recent) - len(judged)
        note = f" ({unjudged} recent photo{'s' if unjudged != 1 else ''} could not be judged)" if unjudged else ""
        return Summary(
            SummaryLevel.REASSURING,
            f"The recent photos SpotCheck could judge look likely benign{note}; the most worrying of them is "
            f"{photo_in_words(worst, zone=zone)}. {RULE} See a dermatologist if the spot changes, bleeds or itches.",
            worst.file_name,
        )
    latest = recent[-1]
    return Summary(
        SummaryLevel.UNUSABLE,
        f"None of the recent photos could be judged; take a new photo of this spot following the tips. {RULE}",
        latest.file_name,
    )


def _listed(words: Sequence[str]) -> str:
    """Words joined as in a sentence: a; a and b; a, b and c."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
