"""Spots: a place on the skin photographed over time, its report, its share links; answers per photo."""

from __future__ import annotations

from contextlib import suppress
from datetime import tzinfo
from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from spotcheck.api.deps import ClassifierDep, CurrentAccount, FileName, GalleryDep, SharesDep, SpotsDep, TimeZone
from spotcheck.api.routes.images import PageLimit, PageOffset, image_item
from spotcheck.api.schemas import SIGNED_IN_ERRORS, ErrorBody, ImageItem
from spotcheck.api.spot_schemas import (
    AnswersBody,
    BodySitePublic,
    ChangePublic,
    MeasuresPublic,
    ShareCreated,
    ShareCreateRequest,
    ShareList,
    SharePublic,
    SpotAssignment,
    SpotCreateRequest,
    SpotDetail,
    SpotList,
    SpotPublic,
    SpotUpdateRequest,
    SummaryPublic,
    TimelineEntryPublic,
)
from spotcheck.api.throttling import input_refused
from spotcheck.classifier.base import Classifier
from spotcheck.clock import utc_now
from spotcheck.gallery.heatmaps import HeatmapUnavailableError, photo_heatmap_png
from spotcheck.gallery.service import AnalysisFailedError, Gallery, ImageNotFoundError
from spotcheck.spots import Answers, BodySite, SpotView
from spotcheck.spots.report import render_report, report_file_name

__all__ = ["BAD_ZONE", "PDF_RESPONSE", "answers_router", "pdf_response", "router", "spot_detail", "spot_public"]

router = APIRouter(prefix="/spots", tags=["spots"], responses=SIGNED_IN_ERRORS)
answers_router = APIRouter(prefix="/images", tags=["spots"], responses=SIGNED_IN_ERRORS)

_NO_SPOT: dict[int | str, dict[str, object]] = {404: {"model": ErrorBody, "description": "No such spot for this user"}}
_BAD_NAME: dict[int | str, dict[str, object]] = {
    422: input_refused("Not the documented shape, or a name that is blank or holds control or invisible characters"),
}
BAD_ZONE: dict[int | str, dict[str, object]] = {422: input_refused("tz names no time zone (an IANA name is expected)")}
PDF_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
}


def _site(site: BodySitePublic | None) -> BodySite | None:
    return BodySite(site.view, site.x, site.y) if site else None


def _site_public(site: BodySite | None) -> BodySitePublic | None:
    return BodySitePublic(view=site.view, x=site.x, y=site.y) if site else None


def spot_public(view: SpotView) -> SpotPublic:
    latest = view.latest
    return SpotPublic(
        id=view.spot.id,
        name=view.spot.name,
        body_site=_site_public(view.spot.body_site),
        created_at=view.spot.created_at,
        image_count=len(view.photos),
        latest=image_item(latest) if latest else None,
        summary=SummaryPublic(level=view.summary.level, message=view.summary.message, based_on=view.summary.based_on),
    )


def spot_detail(view: SpotView) -> SpotDetail:
    entries = []
    for entry in view.photos:
        answers = AnswersBody(**_answer_fields(entry.answers)) if entry.answers else None
        measures = (
            MeasuresPublic(area_fraction=entry.measures.area_fraction, mean_colour=list(entry.measures.mean_colour))
            if entry.measures
            else None
        )
        entries.append(TimelineEntryPublic(**image_item(entry.image).model_dump(), answers=answers, measures=measures))
    changes = [
        ChangePublic.model_validate(
            {
                "from": c.from_file,
                "to": c.to_file,
                "kind": c.kind,
                "message": c.message,
                "from_uploaded_at": c.from_uploaded_at,
                "to_uploaded_at": c.to_uploaded_at,
                "from_classification": c.before.classification,
                "to_classification": c.after.classification,
                "direction": c.direction,
                "size_change": c.relative_size,
            }
        )
        for c in view.changes
    ]
    return SpotDetail(**spot_public(view).model_dump(), images=entries, changes=changes)


def _answer_fields(answers: Answers) -> dict[str, bool | None]:
    return {name: getattr(answers, name) for name in AnswersBody.model_fields}


def pdf_response(view: SpotView, gallery: Gallery, classifier: Classifier, zone: tzinfo) -> Response:
    """The spot's report as a download named after the spot, its times in ``zone``, each judged photo
    with its heatmap."""

    def photo(file_name: str) -> bytes | None:
        with suppress(ImageNotFoundError):
            return gallery.content(owner_id=view.spot.owner_id, file_name=file_name)[0]
        return None

    def heatmap(file_name: str) -> bytes | None:
        with suppress(ImageNotFoundError, HeatmapUnavailableError, AnalysisFailedError):
            return photo_heatmap_png(
                gallery=gallery, classifier=classifier, owner_id=view.spot.owner_id, file_name=file_name
            )
        return None

    pdf = render_report(view, photo=photo, heatmap=heatmap, generated_at=utc_now(), zone=zone)
    disposition = f'attachment; filename="{report_file_name(view.spot.name)}"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


_QUOTA: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorBody, "description": "The account has as many spots as it may keep"}
}


@router.post("", status_code=status.HTTP_201_CREATED, responses={**_BAD_NAME, **_QUOTA})
def create_spot(body: SpotCreateRequest, account: CurrentAccount, spots: SpotsDep) -> SpotPublic:
    """Name a spot and, optionally, mark where it is on the body map."""
    spot = spots.create(owner_id=account.id, name=body.name, body_site=_site(body.body_site))
    return spot_public(spots.view(spot))


@router.get("", responses=BAD_ZONE)
def list_spots(
    account: CurrentAccount, spots: SpotsDep, zone: TimeZone, limit: PageLimit = 100, offset: PageOffset = 0
) -> SpotList:
    """The caller's spots, oldest first, each with its latest photo and summary (times in ``tz``);
    ``limit`` from ``offset``."""
    views = [spots.view(s, zone=zone) for s in spots.list(owner_id=account.id, limit=limit, offset=offset)]
    total = spots.count(owner_id=account.id)
    return SpotList(items=[spot_public(v) for v in views], total=total, limit=limit, offset=offset)


@router.get("/{spotId}", responses={**_NO_SPOT, **BAD_ZONE})
def get_spot(spotId: str, account: CurrentAccount, spots: SpotsDep, zone: TimeZone) -> SpotDetail:
    """The spot with its photos (oldest first), their answers and measures, and the notable changes
    (the sentences' times in ``tz``)."""
    return spot_detail(spots.view(spots.get(owner_id=account.id, spot_id=spotId), zone=zone))


@router.patch("/{spotId}", responses={**_NO_SPOT, **_BAD_NAME})
def update_spot(spotId: str, body: SpotUpdateRequest, account: CurrentAccount, spots: SpotsDep) -> SpotPublic:
    """Rename the spot or move it on the body map (``bodySite: null`` forgets where it is)."""
    clear = "body_site" in body.model_fields_set and body.body_site is None
    spot = spots.update(
        owner_id=account.id,
        spot_id=spotId,
        name=body.name,
        body_site=_site(body.body_site),
        clear_body_site=clear,
    )
    return spot_public(spots.view(spot))


@router.delete("/{spotId}", status_code=status.HTTP_204_NO_CONTENT, responses=_NO_SPOT)
def delete_spot(spotId: str, account: CurrentAccount, spots: SpotsDep) -> Response:
    """Delete the spot with its photos (and their stored objects, labels and jobs) and its share links."""
    spots.delete(owner_id=account.id, spot_id=spotId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{spotId}/report.pdf", response_class=Response, responses={**PDF_RESPONSE, **_NO_SPOT, **BAD_ZONE})
def spot_report(
    spotId: str,
    account: CurrentAccount,
    spots: SpotsDep,
    gallery: GalleryDep,
    classifier: ClassifierDep,
    zone: TimeZone,
) -> Response:
    """A PDF for a doctor: the summary, where the spot is, its photos titled by date and time in ``tz``
    (UTC if absent), each with where the model looked, their results, answers and changes, the model
    version, the disclaimer."""
    view = spots.view(spots.get(owner_id=account.id, spot_id=spotId), zone=zone)
    return pdf_response(view, gallery, classifier, zone)


@router.post("/{spotId}/shares", status_code=status.HTTP_201_CREATED, responses=_NO_SPOT)
def create_share(
    spotId: str,
    account: CurrentAccount,
    spots: SpotsDep,
    shares: SharesDep,
    body: Annotated[ShareCreateRequest | None, Body()] = None,
) -> ShareCreated:
    """A read-only link to the spot for a doctor, valid ``expiresInDays`` days (14 unless said)."""
    spot = spots.get(owner_id=account.id, spot_id=spotId)
    made = shares.create(spot_id=spot.id, days=(body or ShareCreateRequest()).expires_in_days)
    return ShareCreated(token=made.token, url=f"/share/{made.token}", expires_at=made.share.expires_at)


@router.get("/{spotId}/shares", responses=_NO_SPOT)
def list_shares(spotId: str, account: CurrentAccount, spots: SpotsDep, shares: SharesDep) -> ShareList:
    """The spot's links that still open it (their tokens are not kept, so not shown)."""
    spot = spots.get(owner_id=account.id, spot_id=spotId)
    live = shares.live(spot_id=spot.id)
    return ShareList(items=[SharePublic(id=s.id, expires_at=s.expires_at, created_at=s.created_at) for s in live])


@router.delete("/{spotId}/shares", status_code=status.HTTP_204_NO_CONTENT, responses=_NO_SPOT)
def revoke_shares(spotId: str, account: CurrentAccount, spots: SpotsDep, shares: SharesDep) -> Response:
    """Stop sharing: every link to the spot answers 404 from now on."""
    spot = spots.get(owner_id=account.id, spot_id=spotId)
    shares.revoke_all(spot_id=spot.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


_ANSWERS_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "fileName is not UTF-8"},
    404: {"model": ErrorBody, "description": "No such image for this user"},
}


@answers_router.get("/{fileName}/answers", responses=_ANSWERS_ERRORS)
def get_answers(fileName: FileName, account: CurrentAccount, spots: SpotsDep) -> AnswersBody:
    """The answers stored for one photo (404 until some are stored)."""
    return AnswersBody(**_answer_fields(spots.answers_of(owner_id=account.id, file_name=fileName)))


@answers_router.delete("/{fileName}/answers", status_code=status.HTTP_204_NO_CONTENT, responses=_ANSWERS_ERRORS)
def delete_answers(fileName: FileName, account: CurrentAccount, spots: SpotsDep) -> Response:
    """Forget the answers stored for one photo (the photo stays)."""
    spots.forget_answers(owner_id=account.id, file_name=fileName)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@answers_router.put("/{fileName}/answers", responses=_ANSWERS_ERRORS)
def put_answers(fileName: FileName, body: AnswersBody, account: CurrentAccount, spots: SpotsDep) -> AnswersBody:
    """The patient's answers about one photo: has it grown, changed, does it bleed, itch, hurt, is it raised."""
    stored = spots.set_answers(owner_id=account.id, file_name=fileName, answers=Answers(**body.model_dump()))
    return AnswersBody(**_answer_fields(stored))


@answers_router.put(
    "/{fileName:path}/spot",
    responses={
        400: {"model": ErrorBody, "description": "fileName is not UTF-8"},
        404: {"model": ErrorBody, "description": "No such image, or no such spot, for this user"},
    },
)
def file_image(fileName: FileName, body: SpotAssignment, account: CurrentAccount, spots: SpotsDep) -> ImageItem:
    """Move an existing photo into one of the caller's spots (``spotId: null``: out of any spot).

    The photo keeps its result and answers; both spots' timelines, changes, summaries and reminders follow.
    """
    return image_item(spots.file_photo(owner_id=account.id, file_name=fileName, spot_id=body.spot_id))
