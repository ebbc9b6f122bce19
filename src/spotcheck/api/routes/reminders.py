"""Reminders: the monthly self-check and each spot's re-check, as JSON for the page and as a calendar file."""

from __future__ import annotations

from fastapi import APIRouter, Response

from spotcheck.api.deps import CurrentAccount, SpotsDep
from spotcheck.api.routes.images import PageLimit, PageOffset
from spotcheck.api.schemas import SIGNED_IN_ERRORS
from spotcheck.api.spot_schemas import ReminderList, ReminderPublic
from spotcheck.clock import utc_now
from spotcheck.spots.reminders import Reminder, calendar_file, reminders_for

router = APIRouter(tags=["reminders"], responses=SIGNED_IN_ERRORS)


def _reminders(account_id: str, spots: SpotsDep) -> list[Reminder]:
    views = [spots.view(s) for s in spots.list(owner_id=account_id)]
    return reminders_for(views, today=utc_now().date())


@router.get("/reminders")
def list_reminders(
    account: CurrentAccount, spots: SpotsDep, limit: PageLimit = 100, offset: PageOffset = 0
) -> ReminderList:
    """The next monthly self-check, then each spot's re-check, soonest first, ``limit`` from ``offset``:
    a visit to a dermatologist 14 days after a flagged or changed photo or one with a warning sign the
    patient noted, another look 30 days after any other."""
    every = _reminders(account.id, spots)
    return ReminderList(
        items=[
            ReminderPublic(kind=r.kind, spot_id=r.spot_id, due=r.due, title=r.title, advice=r.advice)
            for r in every[offset : offset + limit]
        ],
        total=len(every),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/reminders.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}},
)
def reminders_calendar(account: CurrentAccount, spots: SpotsDep) -> Response:
    """The same reminders as an iCalendar file (the self-check repeats monthly)."""
    body = calendar_file(_reminders(account.id, spots), account_id=account.id, now=utc_now())
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="spotcheck-reminders.ics"'},
    )
