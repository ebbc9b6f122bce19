"""A user's uploaded images and the labels written onto them."""

from spotcheck.gallery.service import (
    AnalysisFailedError,
    Gallery,
    ImageNotFoundError,
    ImagePage,
    ImageSummary,
    SpotGoneError,
)

__all__ = [
    "AnalysisFailedError",
    "Gallery",
    "ImageNotFoundError",
    "ImagePage",
    "ImageSummary",
    "SpotGoneError",
]
