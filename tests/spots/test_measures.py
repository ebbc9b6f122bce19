"""The lesion measure on synthetic photos: a darker disc on skin, whose area and colour are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from photos import BROWN, DARK_BROWN, SIZE, SKIN, lesion_photo

from spotcheck.spots.measures import CENTRE_SHARE, delta_e, measure_image, otsu_threshold, srgb_to_lab


def test_cielab_of_known_colours() -> None:
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=np.uint8))
    assert lab[0] == pytest.approx([100.0, 0.0, 0.0], abs=0.01)
    assert lab[1] == pytest.approx([0.0, 0.0, 0.0], abs=0.01)
    assert lab[2] == pytest.approx([53.24, 80.09, 67.20], abs=0.05)  # the usual reference value for sRGB red


def test_otsu_splits_two_groups_between_them() -> None:
    values = np.concatenate([np.full(500, 30.0), np.full(300, 70.0)])
    threshold = otsu_threshold(values)
    assert 30.0 < threshold <= 70.0
    assert np.count_nonzero(values < threshold) == 500


@pytest.mark.parametrize("radius", [30, 60, 90])
def test_the_area_is_the_discs_share_of_the_centre_crop(radius: int) -> None:
    crop_side = SIZE * CENTRE_SHARE
    expected = math.pi * radius**2 / crop_side**2
    measured = measure_image(lesion_photo(radius=radius))
    assert measured.area_fraction == pytest.approx(expected, rel=0.08)


def test_the_colour_is_the_discs_not_the_skins() -> None:
    measured = measure_image(lesion_photo(radius=70, colour=BROWN))
    brown = srgb_to_lab(np.array(BROWN, dtype=np.uint8))
    skin = srgb_to_lab(np.array(SKIN, dtype=np.uint8))
    assert delta_e(measured.mean_colour, tuple(brown)) < 3  # JPEG and the disc's edge blur it a little
    assert delta_e(measured.mean_colour, tuple(skin)) > 30


def test_a_photo_with_no_contrast_counts_whole() -> None:
    measured = measure_image(lesion_photo(radius=0, background=DARK_BROWN))
    assert measured.area_fraction == 1.0
    assert delta_e(measured.mean_colour, tuple(srgb_to_lab(np.array(DARK_BROWN, dtype=np.uint8)))) < 2


def test_delta_e_is_the_distance_in_cielab() -> None:
    assert delta_e((50.0, 0.0, 0.0), (50.0, 3.0, 4.0)) == pytest.approx(5.0)
