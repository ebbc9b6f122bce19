"""Focus and exposure of a photo, measured from image statistics alone (no model).

Every measure is taken on a greyscale copy whose long side is ``MEASURE_SIDE`` px, the scale at
which the classifier looks at a photo (200x150), so a 2048 px upload and its 300 px thumbnail
measure alike, and blur the model cannot see at its own scale is not held against a photo.

Sharpness is the weakest direction's ratio of fine to coarse gradient energy: the gradients of the
finest band (the image minus a 1 px binomial blur) against those of a coarse band (2-8 px scale),
as the smallest generalised eigenvalue of the two 2x2 gradient tensors. A ratio, because
dermatoscopic photos of smooth skin are low in fine detail whatever their focus (a plain Laplacian
variance refuses sharp ones); per direction, because motion blur removes detail along one direction
only and an average over directions hides it. Exposure is read from the grey-level histogram: a
photo whose bright end (95th percentile) is still dark is too dark; one that is mostly pure white
is too bright. The dark end is not used: dermatoscopes leave black corners on good photos.

``scripts/bench_photo_gate_quality.py`` calibrates the limits; ``static/js/photocheck.js`` is the
browser's twin of this module and reads the constants from ``static/photo-limits.json``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from spotcheck.photocheck.reasons import RefusalReason

__all__ = [
    "BROWSER_LIMITS",
    "DEFAULT_LIMITS",
    "MEASURE_SIDE",
    "WHITE_LEVEL",
    "PhotoQuality",
    "QualityLimits",
    "judge_quality",
    "limits_document",
    "measure_grey",
    "measure_quality",
    "measurement_grey",
]

MEASURE_SIDE = 200
WHITE_LEVEL = 248  # grey levels (0-255) at or above this count as blown out
BRIGHT_QUANTILE = 0.95

_TAPS = (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)
_MARGIN = 8  # the bands are edge-padded; their outer 8 px are left out of the gradient tensors
_COARSE_STEP = 4
# Added to the coarse tensor's diagonal, as a share of its mean eigenvalue, so that a photo with
# structure in one direction only (parallel hairs, stripes) does not divide by almost nothing.
_REGULARISATION = 0.2


@dataclass(frozen=True, slots=True)
class PhotoQuality:
    """Image statistics of one photo at the measurement scale; levels are grey levels in 0-1."""

    sharpness: float
    mean_level: float
    bright_level: float  # the 95th percentile: how bright the brighter parts of the photo are
    white_fraction: float  # share of pixels at or above WHITE_LEVEL


@dataclass(frozen=True, slots=True)
class QualityLimits:
    """The least sharpness and bright level, and the most white, that a photo may have."""

    min_sharpness: float
    min_bright_level: float
    max_white_fraction: float


# Chosen with scripts/bench_photo_gate_quality.py so that at most 1% of the good photos of
# either lesion folder (HAM10000, PAD-UFES-20) are refused; docs/photo-gate.md has the table.
DEFAULT_LIMITS = QualityLimits(min_sharpness=0.18, min_bright_level=0.18, max_white_fraction=0.4)
# The page only warns, and its canvas resamples differently from Pillow. Measured on 150 PAD-UFES
# photos, Pillow's bilinear gives the lowest sharpness of its filters (box, bicubic, Hamming and
# Lanczos read 5-48% higher), so a canvas most likely errs towards passing; the margin below the
# server's limits covers the rest.
BROWSER_LIMITS = QualityLimits(min_sharpness=0.16, min_bright_level=0.16, max_white_fraction=0.5)


def measurement_grey(image: Image.Image) -> np.ndarray:
    """The photo as uint8 greyscale (ITU-R 601 luma) with its long side at MEASURE_SIDE px."""
    grey = image.convert("L")
    scale = MEASURE_SIDE / max(grey.size)
    size = (max(1, round(grey.width * scale)), max(1, round(grey.height * scale)))
    if size != grey.size:
        # reducing_gap first box-reduces a large upload by an integer factor: same result, 5x faster
        grey = grey.resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.asarray(grey, dtype=np.uint8)


def measure_quality(image: Image.Image) -> PhotoQuality:
    """Sharpness and exposure of a decoded photo, independent of its resolution."""
    return measure_grey(measurement_grey(image))


def measure_grey(grey: np.ndarray) -> PhotoQuality:
    """Sharpness and exposure of a uint8 greyscale image already at the measurement scale."""
    histogram = np.bincount(grey.ravel(), minlength=256)
    count = int(histogram.sum())
    cumulative = np.cumsum(histogram)
    bright = int(np.searchsorted(cumulative, BRIGHT_QUANTILE * count, side="left"))
    return PhotoQuality(
        sharpness=_sharpness(grey.astype(np.float64) / 255.0),
        mean_level=float(histogram @ np.arange(256)) / count / 255.0,
        bright_level=bright / 255.0,
        white_fraction=float(histogram[WHITE_LEVEL:].sum()) / count,
    )


def judge_quality(quality: PhotoQuality, limits: QualityLimits = DEFAULT_LIMITS) -> RefusalReason | None:
    """Why the photo cannot be judged (exposure first: a black photo is dark, not blurry), or None."""
    if quality.bright_level < limits.min_bright_level:
        return RefusalReason.TOO_DARK
    if quality.white_fraction > limits.max_white_fraction:
        return RefusalReason.TOO_BRIGHT
    if quality.sharpness < limits.min_sharpness:
        return RefusalReason.BLURRY
    return None


def limits_document() -> dict[str, object]:
    """The constants the browser's twin needs, as stored in static/photo-limits.json."""
    return {
        "measureSide": MEASURE_SIDE,
        "whiteLevel": WHITE_LEVEL,
        "brightQuantile": BRIGHT_QUANTILE,
        "server": asdict(DEFAULT_LIMITS),
        "browser": asdict(BROWSER_LIMITS),
    }


def _smooth(image: np.ndarray, step: int) -> np.ndarray:
    """Separable 5-tap binomial blur with its taps ``step`` px apart, edges repeated."""
    pad = 2 * step
    height, width = image.shape
    rows = np.pad(image, ((0, 0), (pad, pad)), mode="edge")
    across = np.zeros_like(image)
    for i, tap in enumerate(_TAPS):
        across += tap * rows[:, i * step : i * step + width]
    columns = np.pad(across, ((pad, pad), (0, 0)), mode="edge")
    out = np.zeros_like(image)
    for i, tap in enumerate(_TAPS):
        out += tap * columns[i * step : i * step + height, :]
    return out


def _gradient_tensor(band: np.ndarray, step: int) -> tuple[float, float, float]:
    """Mean gx*gx, gx*gy, gy*gy of central differences ``step`` px apart, inside the margin."""
    height, width = band.shape
    m = _MARGIN
    gx = band[m : height - m, m + step : width - m + step] - band[m : height - m, m - step : width - m - step]
    gy = band[m + step : height - m + step, m : width - m] - band[m - step : height - m - step, m : width - m]
    return float((gx * gx).mean()), float((gx * gy).mean()), float((gy * gy).mean())


def _sharpness(image: np.ndarray) -> float:
    height, width = image.shape
    if min(height, width) <= 2 * _MARGIN:
        return 0.0
    s1 = _smooth(image, 1)
    s2 = _smooth(s1, 2)
    s8 = _smooth(_smooth(s2, 4), 8)
    f11, f12, f22 = _gradient_tensor(image - s1, 1)
    c11, c12, c22 = _gradient_tensor(s2 - s8, _COARSE_STEP)
    ridge = _REGULARISATION * (c11 + c22) / 2
    c11, c22 = c11 + ridge, c22 + ridge
    # smallest root of det(F - lambda * C) = 0: the least fine-to-coarse energy over all directions
    a = c11 * c22 - c12 * c12
    if a <= 1e-18:
        return 0.0  # no structure at all: a flat image has nothing in focus
    b = f11 * c22 + f22 * c11 - 2 * f12 * c12
    c = f11 * f22 - f12 * f12
    # written as 2c / (b + root) rather than (b - root) / 2a, which cancels when c is small
    denominator = b + math.sqrt(max(b * b - 4 * a * c, 0.0))
    smallest = 2 * c / denominator if denominator > 0 else 0.0
    return math.sqrt(max(smallest, 0.0))
