"""Request and response bodies of spots, share links and reminders (camelCase)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator

from spotcheck.api.schemas import ImageItem, _Camel, _CamelRequest
from spotcheck.classifier.labels import Classification
from spotcheck.spots import ChangeDirection, ChangeKind, SummaryLevel
from spotcheck.spots.reminders import ReminderKind
from spotcheck.spots.service import MAX_NAME_LENGTH, BodyView
from spotcheck.spots.shares import DEFAULT_DAYS, MAX_DAYS

__all__ = [
    "AnswersBody",
    "BodySitePublic",
    "ChangePublic",
    "MeasuresPublic",
    "ReminderList",
    "ReminderPublic",
    "ShareCreateRequest",
    "ShareCreated",
    "ShareList",
    "SharePublic",
    "SpotAssignment",
    "SpotCreateRequest",
    "SpotDetail",
    "SpotList",
    "SpotPublic",
    "SpotUpdateRequest",
    "SummaryPublic",
    "TimelineEntryPublic",
]


class BodySitePublic(_CamelRequest):
    """A point on the front or back body map, 0..1 across (x) and down (y)."""

    view: BodyView
    # strict: numbers as the schema states them, never true for 1
    x: float = Field(ge=0, le=1, strict=True)
    y: float = Field(ge=0, le=1, strict=True)


class SummaryPublic(_Camel):
    level: SummaryLevel
    message: str
    based_on: str | None


class SpotPublic(_Camel):
    id: str
    name: str
    body_site: BodySitePublic | None
    created_at: datetime
    image_count: int
    latest: ImageItem | None
    summary: SummaryPublic


class AnswersBody(_CamelRequest):
    """The patient's answers about one photo; null (or absent): not answered. Only true or false, never "yes" or 1."""

    grown: bool | None = Field(default=None, strict=True)
    changed: bool | None = Field(default=None, strict=True)
    bleeds: bool | None = Field(default=None, strict=True)
    itches: bool | None = Field(default=None, strict=True)
    hurts: bool | None = Field(default=None, strict=True)
    raised: bool | None = Field(default=None, strict=True)


class MeasuresPublic(_Camel):
    area_fraction: float = Field(description="The lesion's share of the photo's centre crop, 0..1")
    mean_colour: list[float] = Field(min_length=3, max_length=3, description="Mean CIELAB [L*, a*, b*]")


class TimelineEntryPublic(ImageItem):
    answers: AnswersBody | None
    measures: MeasuresPublic | None


class ChangePublic(_Camel):
    """A notable change between two photos: ``message`` in English (times in ``tz``, UTC without), and its
    parts for a client that words it itself, in the person's local time."""

    from_file: str = Field(alias="from")
    to_file: str = Field(alias="to")
    kind: ChangeKind
    message: str
    notable: Literal[True] = True
    from_uploaded_at: datetime = Field(description="When the earlier photo was uploaded")
    to_uploaded_at: datetime = Field(description="When the later photo was uploaded")
    from_classification: Classification | None = Field(description="The earlier photo's result")
    to_classification: Classification | None = Field(description="The later photo's result")
    direction: ChangeDirection | None = Field(
        description="estimate: up (rose, or now flagged) or down; size: up (grew) or down (shrank); colour: null"
    )
    size_change: float | None = Field(
        description="size only: the lesion area's change relative to the earlier photo's (0.4: grew by 40 %)"
    )


class SpotDetail(SpotPublic):
    images: list[TimelineEntryPublic] = Field(description="Oldest first")
    changes: list[ChangePublic]


class SpotList(_Camel):
    items: list[SpotPublic]
    total: int
    limit: int
    offset: int


class SpotCreateRequest(_CamelRequest):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, examples=["Left shoulder mole"])
    body_site: BodySitePublic | None = None


class SpotAssignment(_CamelRequest):
    """The spot a photo belongs to: the id of one of the caller's spots, or null for none."""

    spot_id: str | None = Field(max_length=64, strict=True, examples=["3f2a9c0d5b8e4f7a9c1d2e3f4a5b6c7d"])


class SpotUpdateRequest(_CamelRequest):
    """Only the fields sent change; ``bodySite: null`` forgets where the spot is."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_LENGTH)
    body_site: BodySitePublic | None = None


class ShareCreateRequest(_CamelRequest):
    expires_in_days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS)

    @field_validator("expires_in_days", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        # Lax enough for 7.0 (an integer to JSON Schema), strict enough to refuse true and "7".
        if isinstance(value, bool | str):
            raise ValueError("expiresInDays must be a whole number of days, 1 to 90")
        return value


class ShareCreated(_Camel):
    token: str = Field(description="Shown this once; SpotCheck keeps only its hash")
    url: str
    expires_at: datetime


class SharePublic(_Camel):
    id: str
    expires_at: datetime
    created_at: datetime


class ShareList(_Camel):
    items: list[SharePublic]


class ReminderPublic(_Camel):
    kind: ReminderKind
    spot_id: str | None
    due: date
    title: str
    advice: str = Field(description="The next step in a sentence, as the calendar event says it")


class ReminderList(_Camel):
    items: list[ReminderPublic]
    total: int
    limit: int
    offset: int
