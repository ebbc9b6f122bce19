"""Reminders: a monthly self-check, and a re-check per spot, for the page and as an iCalendar file.

Each reminder says the same as the next step the page gives for the spot's latest result. A spot
whose latest photo was flagged, changed notably since the photo before it, or came with a warning
sign the patient noted (``spots.answers``), is due a visit to a dermatologist ``FLAGGED_RECHECK``
(14 days, the "within 2 weeks" of the flagged result's advice) after that photo; any other spot a
look again ``ROUTINE_RECHECK`` (30 days, "again in a month") after its latest photo, or after it
was made when it has none. The self-check falls on the first day of every month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from icalendar import Calendar, Event

from spotcheck.classifier.labels import Classification
from spotcheck.spots.answers import warning_signs
from spotcheck.spots.service import SpotView

__all__ = ["FLAGGED_RECHECK", "ROUTINE_RECHECK", "Reminder", "ReminderKind", "calendar_file", "reminders_for"]

FLAGGED_RECHECK = timedelta(days=14)
ROUTINE_RECHECK = timedelta(days=30)
SELF_CHECK_TITLE = "Monthly skin self-check"
SELF_CHECK_ADVICE = "Look over your skin for new spots and for spots that changed, bled or itch."
SEE_A_DERMATOLOGIST = (
    "SpotCheck flagged this spot, it changed, or you noted a warning sign: show it to a dermatologist "
    "within 2 weeks of the photo."
)
LOOK_AGAIN = (
    "Photograph this spot again and compare. Show it to a dermatologist at your next check-up, or sooner "
    "if it changes, bleeds or itches."
)


class ReminderKind(StrEnum):
    SELF_CHECK = "self-check"
    RE_CHECK = "re-check"


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: ReminderKind
    spot_id: str | None
    due: date
    title: str
    advice: str  # the next step in a sentence, for the calendar event


def _next_first_of_month(today: date) -> date:
    if today.day == 1:
        return today
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _recheck(view: SpotView) -> Reminder:
    latest = view.latest
    if latest is None:
        due, title, advice = view.spot.created_at + ROUTINE_RECHECK, f"Photograph '{view.spot.name}'", LOOK_AGAIN
    else:
        changed = any(c.to_file == latest.file_name for c in view.changes)
        noted = bool(warning_signs(view.photos[-1].answers))
        worrying = changed or noted or latest.classification is Classification.MALIGNANT
        due = latest.uploaded_at + (FLAGGED_RECHECK if worrying else ROUTINE_RECHECK)
        if worrying:
            title, advice = f"See a dermatologist about '{view.spot.name}'", SEE_A_DERMATOLOGIST
        else:
            title, advice = f"Re-check '{view.spot.name}'", LOOK_AGAIN
    return Reminder(ReminderKind.RE_CHECK, view.spot.id, due.date(), title, advice)


def reminders_for(views: Sequence[SpotView], *, today: date) -> list[Reminder]:
    """The next self-check, then each spot's re-check, soonest first."""
    first = _next_first_of_month(today)
    self_check = Reminder(ReminderKind.SELF_CHECK, None, first, SELF_CHECK_TITLE, SELF_CHECK_ADVICE)
    return [self_check, *sorted((_recheck(v) for v in views), key=lambda r: (r.due, r.title))]


def calendar_file(reminders: Sequence[Reminder], *, account_id: str, now: datetime) -> bytes:
    """An iCalendar (RFC 5545) file: all-day events, the self-check repeating monthly.

    Each event's UID is stable for its account and spot, so importing the file again updates the
    events instead of adding copies.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//SpotCheck//reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "SpotCheck reminders")
    for reminder in reminders:
        event = Event()
        event.add("uid", f"{reminder.kind}-{reminder.spot_id or account_id}@spotcheck")
        event.add("dtstamp", now)
        event.add("dtstart", reminder.due)
        event.add("dtend", reminder.due + timedelta(days=1))
        event.add("summary", reminder.title)
        event.add(
            "description", f"{reminder.advice} A reminder from SpotCheck, a screening aid that is never a diagnosis."
        )
        if reminder.kind is ReminderKind.SELF_CHECK:
            event.add("rrule", {"freq": "monthly"})
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
