"""Why the photo gate refuses a photo: the reason codes shared by the API, the CLI and the page,
and what SpotCheck tells the person for each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Guidance", "RefusalReason", "guidance_for"]


class RefusalReason(StrEnum):
    """A photo the model may not answer about, and why."""

    NOT_A_LESION = "not-a-lesion"
    BLURRY = "blurry"
    TOO_DARK = "too-dark"
    TOO_BRIGHT = "too-bright"
    TOO_SMALL = "too-small"


@dataclass(frozen=True, slots=True)
class Guidance:
    message: str  # what is wrong, in plain words
    tip: str  # how to take a photo that works


_GUIDANCE = {
    RefusalReason.NOT_A_LESION: Guidance(
        "This photo does not look like a close-up of a mole or skin spot, so SpotCheck cannot judge it.",
        "Photograph one spot from about 10 cm away, with the spot in the middle of the picture "
        "and only skin around it.",
    ),
    RefusalReason.BLURRY: Guidance(
        "This photo is too blurry to judge.",
        "Hold the phone about 10 cm from the spot, tap the spot on the screen to focus, and keep still "
        "while the photo is taken.",
    ),
    RefusalReason.TOO_DARK: Guidance(
        "This photo is too dark to judge.",
        "Take the photo in daylight or in a well-lit room, without your shadow or the phone's falling on the spot.",
    ),
    RefusalReason.TOO_BRIGHT: Guidance(
        "This photo is too bright: the spot is washed out.",
        "Avoid direct sunlight and the flash; use even, indirect light such as a window on a bright day.",
    ),
    RefusalReason.TOO_SMALL: Guidance(
        "This photo is too small to judge.",
        "Send the photo as your phone's camera took it, not a thumbnail or a screenshot.",
    ),
}


def guidance_for(reason: RefusalReason) -> Guidance:
    return _GUIDANCE[reason]
