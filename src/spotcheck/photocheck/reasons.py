"""Why the photo gate refuses a photo: the reason codes shared by the API, the CLI and the page."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RefusalReason"]


class RefusalReason(StrEnum):
    """A photo the model may not answer about, and why."""

    NOT_A_LESION = "not-a-lesion"
    BLURRY = "blurry"
    TOO_DARK = "too-dark"
    TOO_BRIGHT = "too-bright"
    TOO_SMALL = "too-small"
