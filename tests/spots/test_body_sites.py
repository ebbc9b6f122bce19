"""The body map's point in words, with the person's own left and right."""

from __future__ import annotations

import pytest

from spotcheck.spots.body_sites import site_in_words
from spotcheck.spots.service import BodySite, BodyView

FRONT, BACK = BodyView.FRONT, BodyView.BACK


@pytest.mark.parametrize(
    ("view", "x", "y", "words"),
    [
        (BACK, 0.45, 0.3, "upper back, left side"),  # from behind, the viewer's left is the person's left
        (FRONT, 0.45, 0.3, "chest, right side"),  # facing the person, the viewer's left is their right
        (FRONT, 0.55, 0.3, "chest, middle"),
        (BACK, 0.65, 0.4, "lower back, right side"),
        (FRONT, 0.5, 0.1, "face or front of the head, middle"),
        (BACK, 0.5, 0.18, "back of the neck, middle"),
        (BACK, 0.32, 0.22, "left shoulder (back)"),
        (FRONT, 0.85, 0.3, "left upper arm (front)"),
        (FRONT, 0.25, 0.4, "right forearm (front)"),
        (BACK, 0.22, 0.46, "left hand (back)"),
        (BACK, 0.45, 0.55, "left buttock (back)"),
        (FRONT, 0.65, 0.7, "left thigh (front)"),
        (BACK, 0.65, 0.88, "right lower leg (back)"),
        (FRONT, 0.45, 0.93, "right ankle or foot (front)"),
    ],
)
def test_a_point_in_words(view: BodyView, x: float, y: float, words: str) -> None:
    assert site_in_words(BodySite(view, x, y)) == words


def test_no_point_is_said_so() -> None:
    assert site_in_words(None) == "not marked"


def test_every_point_has_words_and_no_numbers() -> None:
    for view in BodyView:
        for i in range(21):
            for j in range(21):
                words = site_in_words(BodySite(view, i / 20, j / 20))
                assert words and not any(char.isdigit() for char in words), words
