from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from spotcheck.photocheck.quality import (
    DEFAULT_LIMITS,
    MEASURE_SIDE,
    PhotoQuality,
    judge_quality,
    measure_quality,
    measurement_grey,
)
from spotcheck.photocheck.reasons import RefusalReason


def _texture(width: int = 400, height: int = 300) -> Image.Image:
    """Mid-grey blocks of random shade with hard edges, plus fine noise: a sharp photo."""
    rng = np.random.default_rng(7)
    blocks = rng.uniform(70, 190, size=(height // 10, width // 10))
    pixels = np.kron(blocks, np.ones((10, 10))) + rng.normal(0, 6, size=(height, width))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")


def _scene(side: int) -> Image.Image:
    """The same scene photographed at any resolution: skin-coloured ground, a dark disc, thin lines.

    Drawn at 4x and reduced, as a camera's sensor averages, so that edges are not aliased.
    """
    image = Image.new("RGB", (4 * side, 4 * side), (205, 160, 140))
    draw = ImageDraw.Draw(image)
    u = 4 * side / 100
    draw.ellipse((30 * u, 35 * u, 62 * u, 60 * u), fill=(90, 55, 40))
    for i in range(6):
        draw.line((5 * u, (10 + 15 * i) * u, 95 * u, (5 + 15 * i) * u), fill=(120, 80, 70), width=round(u))
    return image.reduce(4)


def _motion_blur(image: Image.Image, length: int) -> Image.Image:
    """A horizontal streak of ``length`` px, as a shaken phone makes."""
    pixels = np.asarray(image, dtype=np.float64)
    padded = np.pad(pixels, ((0, 0), (length, length), (0, 0)), mode="edge")
    width = pixels.shape[1]
    streak = sum(padded[:, length + d : length + d + width] for d in range(-(length // 2), length - length // 2))
    return Image.fromarray(np.clip(streak / length, 0, 255).astype(np.uint8))


def test_a_sharp_mid_grey_texture_passes() -> None:
    quality = measure_quality(_texture())
    assert 0.35 < quality.mean_level < 0.65
    assert judge_quality(quality) is None


def test_the_same_texture_blurred_is_blurry() -> None:
    sharp = _texture()
    blurred = sharp.filter(ImageFilter.GaussianBlur(0.01 * max(sharp.size)))
    assert measure_quality(blurred).sharpness < DEFAULT_LIMITS.min_sharpness < measure_quality(sharp).sharpness
    assert judge_quality(measure_quality(blurred)) is RefusalReason.BLURRY


def test_blur_in_one_direction_only_is_blurry() -> None:
    shaken = _motion_blur(_texture(), length=16)
    assert judge_quality(measure_quality(shaken)) is RefusalReason.BLURRY


def test_a_black_photo_is_too_dark_not_blurry() -> None:
    assert judge_quality(measure_quality(Image.new("RGB", (640, 480)))) is RefusalReason.TOO_DARK


def test_an_underexposed_texture_is_too_dark() -> None:
    dark = Image.fromarray((np.asarray(_texture(), dtype=np.float64) * 0.1).astype(np.uint8))
    assert judge_quality(measure_quality(dark)) is RefusalReason.TOO_DARK


def test_a_white_photo_is_too_bright() -> None:
    white = Image.new("RGB", (640, 480), (255, 255, 255))
    assert judge_quality(measure_quality(white)) is RefusalReason.TOO_BRIGHT


def test_a_blown_out_texture_is_too_bright() -> None:
    blown = Image.fromarray(np.clip(np.asarray(_texture(), dtype=np.float64) * 2.5, 0, 255).astype(np.uint8))
    quality = measure_quality(blown)
    assert quality.white_fraction > DEFAULT_LIMITS.max_white_fraction
    assert judge_quality(quality) is RefusalReason.TOO_BRIGHT


def test_a_featureless_grey_photo_is_blurry() -> None:
    assert judge_quality(measure_quality(Image.new("RGB", (300, 300), (128, 128, 128)))) is RefusalReason.BLURRY


@pytest.mark.parametrize(("small", "large"), [(300, 1200), (512, 2048)])
def test_sharpness_does_not_depend_on_resolution(small: int, large: int) -> None:
    low, high = measure_quality(_scene(small)), measure_quality(_scene(large))
    assert low.sharpness == pytest.approx(high.sharpness, rel=0.1)
    assert low.mean_level == pytest.approx(high.mean_level, abs=0.01)


def test_the_measurement_copy_has_the_fixed_long_side() -> None:
    assert measurement_grey(Image.new("RGB", (2048, 1536))).shape == (150, MEASURE_SIDE)
    assert measurement_grey(Image.new("RGB", (150, 600))).shape == (MEASURE_SIDE, 50)


def test_a_sliver_of_an_image_does_not_crash() -> None:
    quality = measure_quality(Image.new("RGB", (1, 400), (90, 90, 90)))
    assert quality == PhotoQuality(sharpness=0.0, mean_level=90 / 255, bright_level=90 / 255, white_fraction=0.0)
