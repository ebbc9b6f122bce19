"""A rough measure of the lesion in one photo: how much of the photo's centre it covers, and its colour.

The segmentation is deliberately simple, so that anyone can check it: the photo's centre crop
(the middle 60 % of each side, where people frame the spot), scaled to at most 256 px, is turned
into CIELAB (sRGB, D65); Otsu's threshold on the lightness channel L* splits it in two, and the
darker part is the lesion (moles are darker than the skin around them). ``area_fraction`` is
the lesion's share of the crop's pixels, ``mean_colour`` its mean (L*, a*, b*). A crop with
almost no contrast (L* spread under ``FLAT_SPREAD``) has nothing to split: all of it counts.

It is no dermatoscope: distance, zoom and light change both numbers between photos. It is a
prompt to look again, never a finding (spots/changes.py says how it is used).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = ["CENTRE_SHARE", "FLAT_SPREAD", "Measures", "delta_e", "measure_image", "otsu_threshold", "srgb_to_lab"]

CENTRE_SHARE = 0.6
MAX_SIDE = 256
FLAT_SPREAD = 2.0  # L* units: less than this between the darkest and lightest pixel is one colour

# sRGB (linear) to CIE XYZ, D65 white, and that white point.
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


@dataclass(frozen=True, slots=True)
class Measures:
    area_fraction: float
    mean_colour: tuple[float, float, float]  # CIELAB L*, a*, b*


def srgb_to_lab(rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
    """CIELAB (D65) of an (..., 3) array of 8-bit sRGB values."""
    c = rgb.astype(np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _WHITE
    epsilon, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > epsilon, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    lab: NDArray[np.float64] = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab


def otsu_threshold(values: NDArray[np.float64], *, bins: int = 256) -> float:
    """The threshold that maximises the between-class variance of ``values`` (Otsu, 1979)."""
    histogram, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight_low = np.cumsum(histogram)
    weight_high = weight_low[-1] - weight_low
    sum_low = np.cumsum(histogram * centres)
    mean_low = sum_low / np.maximum(weight_low, 1)
    mean_high = (sum_low[-1] - sum_low) / np.maximum(weight_high, 1)
    between = weight_low * weight_high * (mean_low - mean_high) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def delta_e(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIE76 colour difference: the Euclidean distance in CIELAB (about 2.3 is just noticeable)."""
    return float(np.linalg.norm(np.subtract(first, second)))


def _centre_crop(image: Image.Image) -> Image.Image:
    width, height = image.size
    crop_w, crop_h = max(1, round(width * CENTRE_SHARE)), max(1, round(height * CENTRE_SHARE))
    left, top = (width - crop_w) // 2, (height - crop_h) // 2
    crop = image.crop((left, top, left + crop_w, top + crop_h))
    crop.thumbnail((MAX_SIDE, MAX_SIDE))
    return crop


def measure_image(data: bytes) -> Measures:
    """The lesion's area fraction and mean CIELAB colour in a stored (JPEG) photo."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (MAX_SIDE * 4, MAX_SIDE * 4))  # JPEG: decode at a reduced scale, much faster
        crop = _centre_crop(image.convert("RGB"))
    lab = srgb_to_lab(np.asarray(crop, dtype=np.uint8)).reshape(-1, 3)
    lightness = lab[:, 0]
    if float(lightness.max() - lightness.min()) < FLAT_SPREAD:
        lesion = np.ones(len(lightness), dtype=bool)
    else:
        lesion = lightness < otsu_threshold(lightness)
    mean = lab[lesion].mean(axis=0)
    return Measures(
        area_fraction=float(lesion.mean()),
        mean_colour=(round(float(mean[0]), 3), round(float(mean[1]), 3), round(float(mean[2]), 3)),
    )
