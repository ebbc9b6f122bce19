"""The change rule (the estimate crossing the threshold or moving > 15 points, area > 25 %, colour ΔE > 10),
and how a change is told: plain sentences and the parts a client words itself."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from photos import BLUE_GREY, BROWN, DARK_BROWN, START, lesion_photo, photo

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.spots.changes import ChangeDirection, ChangeKind, MeasuredPhoto, notable_changes
from spotcheck.spots.measures import Measures, measure_image

SAME = Measures(0.2, (40.0, 10.0, 10.0))


def _kinds(first: MeasuredPhoto, second: MeasuredPhoto) -> list[ChangeKind]:
    return [c.kind for c in notable_changes([first, second])]


@pytest.mark.parametrize(
    ("before", "after", "notable"),
    [
        (0.25, 0.35, True),  # crosses the 0.3 threshold: the classification differs
        (0.35, 0.25, True),
        (0.05, 0.21, True),  # 16 points, both benign
        (0.05, 0.19, False),  # 14 points
        (0.60, 0.90, True),
        (0.60, 0.70, False),
    ],
)
def test_the_estimate(before: float, after: float, notable: bool) -> None:
    kinds = _kinds(
        MeasuredPhoto(photo("a", probability=before), SAME), MeasuredPhoto(photo("b", probability=after), SAME)
    )
    assert (kinds == [ChangeKind.ESTIMATE]) is notable
    assert kinds in ([], [ChangeKind.ESTIMATE])


@pytest.mark.parametrize(("area", "notable"), [(0.26, True), (0.24, False), (0.149, True), (0.151, False)])
def test_the_area_relative_to_the_earlier_photo(area: float, notable: bool) -> None:
    later = Measures(area, SAME.mean_colour)
    kinds = _kinds(MeasuredPhoto(photo("a"), SAME), MeasuredPhoto(photo("b"), later))
    assert (ChangeKind.SIZE in kinds) is notable


@pytest.mark.parametrize(("shift", "notable"), [(10.5, True), (9.5, False)])
def test_the_colour_difference(shift: float, notable: bool) -> None:
    later = Measures(SAME.area_fraction, (40.0 + shift, 10.0, 10.0))
    kinds = _kinds(MeasuredPhoto(photo("a"), SAME), MeasuredPhoto(photo("b"), later))
    assert (ChangeKind.COLOUR in kinds) is notable


def test_only_judged_photos_are_compared_in_order() -> None:
    photos = [
        MeasuredPhoto(photo("a", days=0, probability=0.05), SAME),
        MeasuredPhoto(photo("pending", days=1, status=ImageStatus.PENDING), None),
        MeasuredPhoto(photo("refused", days=2, status=ImageStatus.REFUSED), None),
        MeasuredPhoto(photo("b", days=3, probability=0.5), SAME),
    ]
    changes = notable_changes(photos)
    assert [(c.from_file, c.to_file, c.kind) for c in changes] == [("a", "b", ChangeKind.ESTIMATE)]
    assert "from 5.0% (likely benign) to 50% (may need a closer look)" in changes[0].message


def test_a_reassuring_retake_says_the_earlier_result_still_counts() -> None:
    (change,) = notable_changes(
        [MeasuredPhoto(photo("a", probability=0.5), None), MeasuredPhoto(photo("b", days=1, probability=0.1), None)]
    )
    assert "the earlier result still counts" in change.message


def test_synthetic_photos_of_a_growing_darkening_spot() -> None:
    """End to end through the segmentation: the same spot grown 1.5x in radius and darker."""
    small = measure_image(lesion_photo(radius=40, colour=BROWN))
    same = measure_image(lesion_photo(radius=41, colour=BROWN))
    grown = measure_image(lesion_photo(radius=60, colour=BROWN))
    darker = measure_image(lesion_photo(radius=40, colour=DARK_BROWN))
    bluer = measure_image(lesion_photo(radius=40, colour=BLUE_GREY))

    def kinds(later: Measures) -> set[ChangeKind]:
        pair = [MeasuredPhoto(photo("a"), small), MeasuredPhoto(photo("b", days=30), later)]
        return {c.kind for c in notable_changes(pair)}

    assert kinds(same) == set()
    assert kinds(grown) == {ChangeKind.SIZE}
    assert kinds(darker) == {ChangeKind.COLOUR}
    assert ChangeKind.COLOUR in kinds(bluer)


def test_changes_name_photos_by_upload_time_not_by_file_name() -> None:
    before = MeasuredPhoto(photo("3f2a9c.jpg", probability=0.05), None)
    after = MeasuredPhoto(photo("b81e07.jpg", days=31.5, probability=0.5), None)
    (change,) = notable_changes([before, after])
    assert (
        "between the photo of 1 January 2026, 00:00 UTC and the photo of 1 February 2026, 12:00 UTC" in change.message
    )
    assert ".jpg" not in change.message
    assert (change.from_file, change.to_file) == ("3f2a9c.jpg", "b81e07.jpg")


def test_each_change_carries_its_parts() -> None:
    before = MeasuredPhoto(photo("a", probability=0.05), SAME)
    after = MeasuredPhoto(photo("b", days=2, probability=0.5), Measures(0.1, (60.0, 10.0, 10.0)))
    by_kind = {c.kind: c for c in notable_changes([before, after])}
    assert set(by_kind) == {ChangeKind.ESTIMATE, ChangeKind.SIZE, ChangeKind.COLOUR}
    estimate, size, colour = by_kind[ChangeKind.ESTIMATE], by_kind[ChangeKind.SIZE], by_kind[ChangeKind.COLOUR]
    assert (estimate.from_uploaded_at, estimate.to_uploaded_at) == (START, START + timedelta(days=2))
    assert (estimate.before.classification, estimate.after.classification) == (
        Classification.BENIGN,
        Classification.MALIGNANT,
    )
    assert estimate.direction is ChangeDirection.UP and estimate.relative_size is None
    assert size.direction is ChangeDirection.DOWN and size.relative_size == pytest.approx(-0.5)
    assert colour.direction is None and colour.relative_size is None


def test_the_colour_change_is_told_without_numbers() -> None:
    later = Measures(SAME.area_fraction, (70.0, 10.0, 10.0))
    (change,) = notable_changes([MeasuredPhoto(photo("a"), SAME), MeasuredPhoto(photo("b", days=1), later)])
    assert change.message == (
        "The lesion's measured colour changed noticeably between the photo of 1 January 2026, 00:00 UTC "
        "and the photo of 2 January 2026, 00:00 UTC (light changes it too)."
    )


@pytest.mark.parametrize(
    ("minutes", "between"),
    [
        (0.2, "between two photos taken on 1 January 2026 at 00:00 UTC"),
        (45, "between the photos of 1 January 2026 at 00:00 and 00:45 UTC"),
        (24 * 60, "between the photo of 1 January 2026, 00:00 UTC and the photo of 2 January 2026, 00:00 UTC"),
    ],
)
def test_two_photos_are_never_named_alike(minutes: float, between: str) -> None:
    small, large = Measures(0.2, SAME.mean_colour), Measures(0.1, SAME.mean_colour)
    later = photo("b", days=minutes / (24 * 60))
    (change,) = notable_changes([MeasuredPhoto(photo("a"), small), MeasuredPhoto(later, large)])
    assert (
        change.message
        == f"The lesion's measured size shrank by 50% {between} (a rough measure: distance and zoom change it too)."
    )


def test_changes_speak_the_persons_local_time() -> None:
    before = MeasuredPhoto(photo("a", days=31.75, probability=0.05), None)  # 1 February, 18:00 UTC
    after = MeasuredPhoto(photo("b", days=31.76, probability=0.5), None)
    (change,) = notable_changes([before, after], zone=ZoneInfo("Asia/Kolkata"))
    assert "between the photos of 1 February 2026 at 23:30 and 23:44 IST" in change.message
    (change,) = notable_changes([before, after], zone=ZoneInfo("Asia/Dubai"))
    assert "at 22:00 and 22:14 UTC+04:00" in change.message  # a zone without letters for its name
