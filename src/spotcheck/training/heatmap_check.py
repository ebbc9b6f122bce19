"""Does the heatmap point at what the model used? Occlusion and variety checks on real photos.

Hiding the hottest ``fraction`` of a photo's pixels (by its heatmap, over the model's input) should
lower the malignant estimate more than hiding a part of the same size and shape elsewhere (the same
mask moved by a random offset, wrapping round the edges); hidden pixels take the photo's mean colour.
And the maps of different photos should differ (their mean pairwise correlation stays low): a map
that is the same blob on every photo says nothing about any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spotcheck.classifier.base import Prediction
from spotcheck.classifier.heatmap import upsample
from spotcheck.classifier.labels import Classification
from spotcheck.classifier.onnx import OnnxClassifier

__all__ = ["OcclusionResult", "hide", "hottest_mask", "mean_pairwise_correlation", "occlusion"]


@dataclass(frozen=True)
class OcclusionResult:
    """Per answered photo: the malignant estimate as is, with the hottest part hidden, and with random
    parts hidden (the mean over the offsets), and whether the model flagged it; plus each photo's map
    over the model's input, and which photos were answered (the photo gate refuses some)."""

    answered: np.ndarray
    estimate: np.ndarray
    hottest_hidden: np.ndarray
    random_hidden: np.ndarray
    flagged: np.ndarray
    maps: list[np.ndarray]

    @property
    def hottest_drop(self) -> np.ndarray:
        return np.asarray(self.estimate - self.hottest_hidden)

    @property
    def random_drop(self) -> np.ndarray:
        return np.asarray(self.estimate - self.random_hidden)


def hottest_mask(weights: np.ndarray, fraction: float) -> np.ndarray:
    """The ``fraction`` of positions with the largest weights (ties broken by position)."""
    count = round(fraction * weights.size)
    order = np.argsort(-weights, axis=None, kind="stable")[:count]
    mask = np.zeros(weights.size, dtype=bool)
    mask[order] = True
    return mask.reshape(weights.shape)


def hide(pixels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The (H, W, 3) photo with the masked pixels set to its mean colour."""
    hidden = pixels.copy()
    hidden[mask] = np.rint(pixels.reshape(-1, 3).mean(axis=0)).astype(np.uint8)
    return hidden


def occlusion(
    classifier: OnnxClassifier, photos: np.ndarray, *, fraction: float = 0.15, offsets: int = 8, seed: int = 0
) -> OcclusionResult:
    """The occlusion figures for prepared photos (N, H, W, 3) at the model's input size."""
    rng = np.random.default_rng(seed)
    spec = classifier.metadata.input
    assessments = classifier.assess(list(photos), heatmaps=True)
    estimate, hottest, random, flagged, maps, answered = [], [], [], [], [], []
    for pixels, assessment in zip(photos, assessments, strict=True):
        answered.append(isinstance(assessment, Prediction))
        if not isinstance(assessment, Prediction):
            continue
        if assessment.heatmap is None:
            raise ValueError(f"the model {classifier.version} has no heatmap output")
        weights = upsample(assessment.heatmap.weights, (spec.width, spec.height))
        mask = hottest_mask(weights, fraction)
        shifts = [(int(rng.integers(spec.height)), int(rng.integers(spec.width))) for _ in range(offsets)]
        variants = [hide(pixels, mask)] + [hide(pixels, np.roll(mask, shift, axis=(0, 1))) for shift in shifts]
        scores = classifier.malignant_probabilities(np.stack(variants))
        estimate.append(assessment.malignant_probability)
        hottest.append(float(scores[0]))
        random.append(float(scores[1:].mean()))
        flagged.append(assessment.classification is Classification.MALIGNANT)
        maps.append(weights)
    return OcclusionResult(
        np.array(answered), np.array(estimate), np.array(hottest), np.array(random), np.array(flagged, dtype=bool), maps
    )


def mean_pairwise_correlation(maps: list[np.ndarray]) -> float:
    """Mean Pearson correlation over all pairs of maps of one size (maps with no variation left out)."""
    flat = np.stack([m.reshape(-1) for m in maps if float(m.std()) > 0]).astype(np.float64)
    if len(flat) < 2:
        raise ValueError("needs at least two maps that vary")
    correlations = np.asarray(np.corrcoef(flat))
    return float(correlations[np.triu_indices(len(flat), k=1)].mean())
