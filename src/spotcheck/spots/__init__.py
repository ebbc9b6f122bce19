"""Spots over time: photos of one place on the skin, their changes, a report, share links, reminders."""

from spotcheck.spots.answers import Answers
from spotcheck.spots.changes import Change, ChangeDirection, ChangeKind, notable_changes
from spotcheck.spots.measures import Measures, measure_image
from spotcheck.spots.service import (
    BodySite,
    BodyView,
    InvalidSpotError,
    NoAnswersError,
    Spot,
    SpotNotFoundError,
    SpotQuotaError,
    SpotService,
    SpotView,
    TimelineEntry,
)
from spotcheck.spots.shares import NewShare, Share, ShareNotFoundError, ShareService
from spotcheck.spots.summary import Summary, SummaryLevel

__all__ = [
    "Answers",
    "BodySite",
    "BodyView",
    "Change",
    "ChangeDirection",
    "ChangeKind",
    "InvalidSpotError",
    "Measures",
    "NewShare",
    "NoAnswersError",
    "Share",
    "ShareNotFoundError",
    "ShareService",
    "Spot",
    "SpotNotFoundError",
    "SpotQuotaError",
    "SpotService",
    "SpotView",
    "Summary",
    "SummaryLevel",
    "TimelineEntry",
    "measure_image",
    "notable_changes",
]
