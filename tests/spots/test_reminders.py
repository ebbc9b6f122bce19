"""Reminders: a dermatologist within 14 days of a flagged or changed latest photo (or one with a warning sign
the patient noted), another look 30 days after any other, and a monthly self-check."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar
from photos import START, photo

from spotcheck.spots.answers import Answers
from spotcheck.spots.changes import Change, ChangeKind
from spotcheck.spots.reminders import FLAGGED_RECHECK, ROUTINE_RECHECK, ReminderKind, calendar_file, reminders_for
from spotcheck.spots.service import Spot, SpotView, TimelineEntry
from spotcheck.spots.summary import Summary, SummaryLevel


def _view(spot_id: str, photos: list[TimelineEntry], changes: list[Change] | None = None) -> SpotView:
    spot = Spot(spot_id, "u", f"Spot {spot_id}", None, START)
    return SpotView(spot, photos, changes or [], Summary(SummaryLevel.NONE, "", None))


def _entry(name: str, probability: float, days: float) -> TimelineEntry:
    return TimelineEntry(photo(name, days=days, probability=probability), None, None)


def test_due_dates() -> None:
    flagged = _view("flagged", [_entry("a", 0.1, 0), _entry("b", 0.6, 10)])
    c, d = _entry("c", 0.1, 0), _entry("d", 0.1, 20)
    changed = _view("changed", [c, d], [Change(c.image, d.image, ChangeKind.SIZE, "")])
    calm = _view("calm", [_entry("e", 0.1, 5)])
    empty = _view("empty", [])
    items = reminders_for([calm, empty, flagged, changed], today=date(2026, 3, 15))
    assert items[0].kind is ReminderKind.SELF_CHECK and items[0].due == date(2026, 4, 1)
    due = {r.spot_id: r.due for r in items[1:]}
    assert due == {
        "flagged": (START + timedelta(days=10) + FLAGGED_RECHECK).date(),
        "changed": (START + timedelta(days=20) + FLAGGED_RECHECK).date(),
        "calm": (START + timedelta(days=5) + ROUTINE_RECHECK).date(),
        "empty": (START + ROUTINE_RECHECK).date(),
    }
    assert [r.due for r in items[1:]] == sorted(due.values())
    titles = {r.spot_id: r.title for r in items[1:]}
    assert titles["flagged"] == "See a dermatologist about 'Spot flagged'"
    assert titles["changed"] == "See a dermatologist about 'Spot changed'"
    assert titles["calm"] == "Re-check 'Spot calm'"


def test_the_reminders_match_the_next_step_of_each_result() -> None:
    """Flagged: "see a dermatologist within 2 weeks"; harmless-looking: "look at it again in a month"."""
    today = (START + timedelta(days=3)).date()
    flagged = _view("flagged", [_entry("a", 0.6, 3)])
    calm = _view("calm", [_entry("b", 0.1, 3)])
    due = {r.spot_id: r.due - today for r in reminders_for([flagged, calm], today=today)}
    assert timedelta(0) < due["flagged"] <= timedelta(days=14)
    assert timedelta(0) < due["calm"] <= timedelta(days=35)
    assert due[None] <= timedelta(days=31)  # the self-check


def test_a_warning_sign_on_the_latest_photo_brings_the_recheck_forward() -> None:
    bleeds = TimelineEntry(photo("f", days=30, probability=0.1), Answers(bleeds=True, hurts=False), None)
    hurts_only = TimelineEntry(photo("g", days=30, probability=0.1), Answers(hurts=True, raised=True), None)
    items = reminders_for([_view("bleeds", [bleeds]), _view("hurts", [hurts_only])], today=date(2026, 3, 15))
    due = {r.spot_id: r.due for r in items[1:]}
    assert due["bleeds"] == (START + timedelta(days=30) + FLAGGED_RECHECK).date()
    assert due["hurts"] == (START + timedelta(days=30) + ROUTINE_RECHECK).date()


def test_the_self_check_is_the_first_of_a_month() -> None:
    assert reminders_for([], today=date(2026, 12, 2))[0].due == date(2027, 1, 1)
    assert reminders_for([], today=date(2026, 12, 1))[0].due == date(2026, 12, 1)


def test_the_calendar_file_repeats_the_self_check_monthly() -> None:
    items = reminders_for([_view("calm", [_entry("e", 0.1, 5)])], today=date(2026, 3, 15))
    calendar = Calendar.from_ical(calendar_file(items, account_id="u1", now=START))
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Monthly skin self-check", "Re-check 'Spot calm'"]
    assert events[0]["RRULE"]["FREQ"] == ["MONTHLY"] and "RRULE" not in events[1]
    assert events[1]["DTSTART"].dt == items[1].due
    assert [str(e["UID"]) for e in events] == ["self-check-u1@spotcheck", "re-check-calm@spotcheck"]
    assert "next check-up" in str(events[1]["DESCRIPTION"])
    flagged = reminders_for([_view("f", [_entry("a", 0.6, 5)])], today=date(2026, 1, 6))
    (event,) = Calendar.from_ical(calendar_file(flagged[1:], account_id="u1", now=START)).walk("VEVENT")
    assert str(event["SUMMARY"]) == "See a dermatologist about 'Spot f'"
    assert "dermatologist within 2 weeks" in str(event["DESCRIPTION"])
    assert event["DTSTART"].dt == date(2026, 1, 20)
