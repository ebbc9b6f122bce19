"""A user's uploaded images and the labels written onto them."""

from spotcheck.gallery.rows import ImageRow, ImageSummary
from spotcheck.gallery.service import (
    AnalysisFailedError,
    Gallery,
    ImageNotFoundError,
    ImagePage,
    PhotoQuotaError,
    SpotGoneError,
)

__all__ = [
    "AnalysisFailedError",
    "Gallery",
    "ImageNotFoundError",
    "ImagePage",
    "ImageRow",
    "ImageSummary",
    "PhotoQuotaError",
    "SpotGoneError",
]
