"""Where the model looked on a user's photo, computed on demand from the stored image."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from spotcheck.classifier.base import Classifier, Prediction, Refusal, classify_with_heatmaps
from spotcheck.classifier.heatmap import heatmap_png
from spotcheck.gallery.service import AnalysisFailedError, Gallery

__all__ = ["HeatmapUnavailableError", "photo_heatmap_png"]


class HeatmapUnavailableError(LookupError):
    """The photo has no heatmap: not labelled yet, refused by the photo check, or the model gives none."""


def photo_heatmap_png(*, gallery: Gallery, classifier: Classifier, owner_id: str, file_name: str) -> bytes:
    """The greyscale PNG of where the model looked on the stored photo, at its size.

    Computed again rather than stored with the label: a map is asked for rarely, costs one model pass
    (as the label did, the stored image read the way the worker reads it), and needs no second object
    per photo to keep, replace and delete with it. The owner's access rules are the gallery's: another
    user's photo is a missing one (``ImageNotFoundError``).
    """
    label = gallery.detect(owner_id=owner_id, file_name=file_name)
    if label is None:
        raise HeatmapUnavailableError(f"{file_name} is not analysed yet: ask again once /detect/{file_name} answers.")
    if isinstance(label.assessment, Refusal):
        raise HeatmapUnavailableError(
            f"{file_name} was not judged (the photo check refused it), so there is no map of where the model looked."
        )
    body, _content_type = gallery.content(owner_id=owner_id, file_name=file_name)
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.load()
            (assessment,) = classify_with_heatmaps(classifier, [image])
            size = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise AnalysisFailedError("The stored image could not be analysed: it is damaged or not an image.") from None
    if not isinstance(assessment, Prediction) or assessment.heatmap is None:
        raise HeatmapUnavailableError(
            f"The model {classifier.version} gives no map of where it looked for {file_name}."
        )
    return heatmap_png(assessment.heatmap, size)
