"""A spot's summary: never more reassuring than the most worrying of its recent photos, and it says so."""

from __future__ import annotations

from datetime import timedelta

from photos import START, photo

from spotcheck.db.tables import ImageStatus
from spotcheck.spots.answers import Answers
from spotcheck.spots.changes import Change, ChangeKind
from spotcheck.spots.summary import RULE, SummaryLevel, recent_photos, summarise

NOW = START + timedelta(days=400)


def test_no_photos() -> None:
    summary = summarise([], [], now=NOW)
    assert summary.level is SummaryLevel.NONE and summary.based_on is None


def test_a_flagged_photo_outweighs_newer_harmless_ones() -> None:
    photos = [photo("flagged", days=398, probability=0.4), photo("b", days=399), photo("c", days=400)]
    summary = summarise(photos, [], now=NOW)
    assert summary.level is SummaryLevel.WORRYING and summary.based_on == "flagged"
    assert RULE in summary.message and "does not cancel it" in summary.message


def test_recent_is_the_last_three_or_the_last_ninety_days_whichever_are_more() -> None:
    old = [photo(f"old{i}", days=i) for i in range(5)]
    assert [p.file_name for p in recent_photos(old, now=NOW)] == ["old2", "old3", "old4"]
    within = [photo(f"new{i}", days=320 + i) for i in range(5)]
    assert len(recent_photos(old + within, now=NOW)) == 5


def test_a_flagged_photo_drops_out_once_it_is_neither_among_the_last_three_nor_recent() -> None:
    photos = [photo("flagged", days=0, probability=0.9)] + [photo(f"b{i}", days=390 + i) for i in range(3)]
    summary = summarise(photos, [], now=NOW)
    assert summary.level is SummaryLevel.REASSURING
    # ... but still counts while it is one of the last three, however old.
    summary = summarise(photos[:3], [], now=NOW)
    assert summary.level is SummaryLevel.WORRYING and summary.based_on == "flagged"


def test_reassuring_names_the_most_worrying_harmless_photo_and_the_rule() -> None:
    photos = [photo("a", days=398, probability=0.05), photo("b", days=399, probability=0.2), photo("c", days=400)]
    summary = summarise(photos, [], now=NOW)
    assert summary.level is SummaryLevel.REASSURING and summary.based_on == "b"
    assert RULE in summary.message


def test_a_notable_change_between_recent_photos_is_worrying() -> None:
    photos = [photo("a", days=399), photo("b", days=400)]
    change = Change(photos[0], photos[1], ChangeKind.SIZE, "The lesion's measured size grew by 40% between a and b.")
    summary = summarise(photos, [change], now=NOW)
    assert summary.level is SummaryLevel.WORRYING and summary.based_on == "b"
    assert summary.message.startswith(change.message)


def test_pending_and_unusable() -> None:
    pending = [photo("a", days=399), photo("b", days=400, status=ImageStatus.PENDING)]
    assert summarise(pending, [], now=NOW).level is SummaryLevel.PENDING
    refused = [photo("a", days=399, status=ImageStatus.REFUSED), photo("b", days=400, status=ImageStatus.FAILED)]
    summary = summarise(refused, [], now=NOW)
    assert summary.level is SummaryLevel.UNUSABLE and summary.based_on == "b"
    mixed = [photo("a", days=399), photo("b", days=400, status=ImageStatus.REFUSED)]
    summary = summarise(mixed, [], now=NOW)
    assert summary.level is SummaryLevel.REASSURING and "1 recent photo could not be judged" in summary.message


def test_a_warning_sign_the_patient_noted_is_worrying_whatever_the_photos_look_like() -> None:
    photos = [photo("a", days=398), photo("b", days=399, probability=0.01), photo("c", days=400)]
    answers = {"b": Answers(grown=True, bleeds=True, hurts=True), "c": Answers(itches=False, raised=True)}
    summary = summarise(photos, [], answers=answers, now=NOW)
    assert summary.level is SummaryLevel.WORRYING and summary.based_on == "b"
    taken = "the photo of 4 February 2027, 00:00 UTC"  # b: 399 days after 1 January 2026
    assert summary.message.startswith(f"You noted that this spot has grown and bleeds ({taken}). Those are warning")
    assert "show this spot to a dermatologist" in summary.message and RULE in summary.message


def test_answers_without_a_warning_sign_or_about_old_photos_leave_the_summary_alone() -> None:
    photos = [photo("old", days=0)] + [photo(f"b{i}", days=397 + i) for i in range(3)]
    answers = {"old": Answers(changed=True), "b0": Answers(hurts=True, raised=True, grown=False)}
    assert summarise(photos, [], answers=answers, now=NOW).level is SummaryLevel.REASSURING


def test_a_flagged_photo_still_comes_first() -> None:
    photos = [photo("flagged", days=399, probability=0.6), photo("b", days=400)]
    summary = summarise(photos, [], answers={"b": Answers(itches=True)}, now=NOW)
    assert summary.based_on == "flagged" and "does not cancel it" in summary.message
