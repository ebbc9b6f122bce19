"""A spot shared read-only by its owner: no sign-in, only the link's token (unknown, revoked or expired: 404)."""

from __future__ import annotations

from datetime import UTC, tzinfo

from fastapi import APIRouter, Response

from spotcheck.api.deps import ClassifierDep, FileName, GalleryDep, SharesDep, SpotsDep, TimeZone
from spotcheck.api.routes.spots import BAD_ZONE, PDF_RESPONSE, pdf_response, spot_detail
from spotcheck.api.schemas import ErrorBody
from spotcheck.api.spot_schemas import SpotDetail
from spotcheck.gallery.service import ImageNotFoundError
from spotcheck.spots import ShareNotFoundError, SpotNotFoundError, SpotService, SpotView
from spotcheck.spots.shares import ShareService

router = APIRouter(prefix="/shared", tags=["shared"])

_GONE: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "The link is unknown, was revoked or has expired"}
}


def _shared_view(token: str, spots: SpotService, shares: ShareService, zone: tzinfo = UTC) -> SpotView:
    try:
        spot = spots.by_id(shares.resolve(token))
    except SpotNotFoundError:  # deleted with its links a moment ago
        raise ShareNotFoundError from None
    return spots.view(spot, zone=zone)


@router.get("/{token}", responses={**_GONE, **BAD_ZONE})
def shared_spot(token: str, spots: SpotsDep, shares: SharesDep, zone: TimeZone) -> SpotDetail:
    """The shared spot: its photos, results, answers and changes (nothing about its owner; times in ``tz``)."""
    return spot_detail(_shared_view(token, spots, shares, zone))


@router.get(
    "/{token}/images/{fileName}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}, **_GONE},
)
def shared_image(token: str, fileName: FileName, spots: SpotsDep, shares: SharesDep, gallery: GalleryDep) -> Response:
    """One photo of the shared spot (only of that spot)."""
    view = _shared_view(token, spots, shares)
    if fileName not in {p.image.file_name for p in view.photos}:
        raise ImageNotFoundError(fileName)
    body, content_type = gallery.content(owner_id=view.spot.owner_id, file_name=fileName)
    return Response(body, media_type=content_type, headers={"Cache-Control": "private, no-store"})


@router.get("/{token}/report.pdf", response_class=Response, responses={**PDF_RESPONSE, **_GONE, **BAD_ZONE})
def shared_report(
    token: str, spots: SpotsDep, shares: SharesDep, gallery: GalleryDep, classifier: ClassifierDep, zone: TimeZone
) -> Response:
    """The shared spot's PDF report, its times in ``tz`` (UTC if absent)."""
    return pdf_response(_shared_view(token, spots, shares, zone), gallery, classifier, zone)
