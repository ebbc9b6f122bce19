"""Upload, list, fetch and delete a user's images."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.types import DecoratedCallable
from starlette.datastructures import UploadFile

from spotcheck.api import image_paths  # noqa: F401  (registers {fileName:image})
from spotcheck.api.deps import ClassifierDep, CurrentAccount, FileName, GalleryDep, MaxUploadBytes, SpotsDep
from spotcheck.api.multipart import utf8_form
from spotcheck.api.schemas import SIGNED_IN_ERRORS, ErrorBody, ImageItem, ImageList, RefusalPublic, UploadAccepted
from spotcheck.api.uploads import (
    ACCEPTED_BODY_TYPES,
    admit_upload,
    count_upload,
    limit_body,
    read_body,
    read_upload,
    store_upload,
)
from spotcheck.gallery.heatmaps import photo_heatmap_png
from spotcheck.gallery.rows import ImageSummary

router = APIRouter(prefix="/images", tags=["images"], responses=SIGNED_IN_ERRORS)

MAX_OFFSET = 1_000_000  # far beyond any gallery; keeps the value inside every database's integer range
PageLimit = Annotated[int, Query(ge=1, le=100)]
PageOffset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
_BAD_NAME: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "fileName breaks a naming rule or is not UTF-8"},
}
_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorBody, "description": "No such image for this user"}
}
_THE_UPLOAD = {"parameters": {"fileName": "$response.body#/fileName"}}
_UPLOAD_ERRORS: dict[int | str, dict[str, object]] = {
    202: {
        "description": "Stored; classification runs in the background (Location: its /detect URL)",
        "links": {
            "GetDetection": {"operationId": "detect_detect__fileName__get", **_THE_UPLOAD},
            "GetImage": {"operationId": "get_image_images__fileName__get", **_THE_UPLOAD},
            "DeleteImage": {"operationId": "delete_image_images__fileName__delete", **_THE_UPLOAD},
        },
    },
    **_BAD_NAME,
    404: {"model": ErrorBody, "description": "spotId names no spot of this user"},
    409: {"model": ErrorBody, "description": "The account has as many photos as it may keep (a new fileName)"},
    413: {"model": ErrorBody, "description": "Larger than the upload limit"},
    415: {"model": ErrorBody, "description": "Not a JPEG, PNG, WebP or HEIC image (judged by content)"},
    422: {
        "model": ErrorBody,
        "description": "Damaged or truncated, too many pixels, or a shorter side under the minimum",
    },
    503: {"model": ErrorBody, "description": "Too many uploads wait to be read; try again after Retry-After"},
}
_RAW_BODY_SCHEMA = {
    "requestBody": {
        "required": True,
        "description": "The image file itself; its type is judged by content, whatever Content-Type says",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in ACCEPTED_BODY_TYPES},
    }
}
_MULTIPART_FRAMING = 64 * 1024  # room for boundaries, part headers and the fileName field
_MULTIPART_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "fileName": {"type": "string", "description": "Name to store it under; generated if absent"},
                        "spotId": {"type": "string", "description": "The spot the photo belongs to (GET /spots)"},
                    },
                }
            }
        },
    }
}


def _upload_route(method: str, path: str, *, body: dict[str, Any]) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A route that takes a photo (PUT of the raw body, multipart POST): counted, admitted, 202 or an upload error."""
    return router.api_route(
        path,
        methods=[method],
        status_code=status.HTTP_202_ACCEPTED,
        responses=_UPLOAD_ERRORS,
        openapi_extra=body,
        dependencies=[Depends(count_upload), Depends(admit_upload)],
    )


class _Uploads:
    """What both upload routes do around reading the photo: find its spot, store it, answer 202."""

    def __init__(
        self, request: Request, response: Response, account: CurrentAccount, gallery: GalleryDep, spots: SpotsDep
    ) -> None:
        self._request = request
        self._response = response
        self._owner_id = account.id
        self._gallery = gallery
        self._spots = spots

    def spot_id(self, requested: str | None) -> str | None:
        """The id of the caller's spot ``requested`` (SpotNotFoundError when it is not theirs); None without one."""
        return self._spots.get(owner_id=self._owner_id, spot_id=requested).id if requested else None

    async def store(self, *, file_name: str, data: bytes, spot_id: str | None) -> UploadAccepted:
        summary = await store_upload(
            self._request, self._gallery, owner_id=self._owner_id, file_name=file_name, data=data, spot_id=spot_id
        )
        self._response.status_code = status.HTTP_202_ACCEPTED
        self._response.headers["Location"] = f"/detect/{quote(summary.file_name, safe='')}"
        return UploadAccepted(file_name=summary.file_name)


_UploadsDep = Annotated[_Uploads, Depends()]


def image_item(summary: ImageSummary) -> ImageItem:
    return ImageItem(
        file_name=summary.file_name,
        status=summary.status,
        size=summary.size,
        uploaded_at=summary.uploaded_at,
        classification=summary.classification,
        malignant_probability=summary.malignant_probability,
        model_version=summary.model_version,
        classified_at=summary.classified_at,
        refusal=RefusalPublic.of(summary.refusal) if summary.refusal else None,
        error=summary.error,
        spot_id=summary.spot_id,
    )


@_upload_route("PUT", "/{fileName:image}", body=_RAW_BODY_SCHEMA)
async def put_image(
    fileName: FileName,
    request: Request,
    uploads: _UploadsDep,
    max_upload_bytes: MaxUploadBytes,
    spotId: Annotated[str | None, Query(description="File the photo under this spot (GET /spots)")] = None,
) -> UploadAccepted:
    """Store the raw request body as image ``fileName`` (replacing any earlier one) and classify it."""
    spot_id = uploads.spot_id(spotId)
    data = await read_body(request, max_upload_bytes)
    return await uploads.store(file_name=fileName, data=data, spot_id=spot_id)


@_upload_route("POST", "", body=_MULTIPART_SCHEMA)
async def post_image(request: Request, uploads: _UploadsDep, limit: MaxUploadBytes) -> UploadAccepted:
    """Multipart upload: field ``file``, optional ``fileName`` and ``spotId``."""
    bounded = limit_body(request, limit, framing=_MULTIPART_FRAMING)
    async with utf8_form(bounded, max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "Send the image in a multipart field named 'file'.")
        data = await read_upload(upload, limit)
        requested = form.get("fileName")
        file_name = requested if isinstance(requested, str) and requested else f"{uuid.uuid4().hex}.jpg"
        spot = form.get("spotId")
        spot_id = uploads.spot_id(spot if isinstance(spot, str) else None)
    return await uploads.store(file_name=file_name, data=data, spot_id=spot_id)


@router.get("")
def list_images(
    account: CurrentAccount,
    gallery: GalleryDep,
    limit: PageLimit = 20,
    offset: PageOffset = 0,
) -> ImageList:
    """The caller's uploads, newest first."""
    page = gallery.list_page(owner_id=account.id, limit=limit, offset=offset)
    return ImageList(items=[image_item(s) for s in page.items], total=page.total, limit=limit, offset=offset)


@router.get(
    "/{fileName:path}/thumbnail",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
        **_BAD_NAME,
        **_NOT_FOUND,
    },
)
def get_thumbnail(fileName: FileName, account: CurrentAccount, gallery: GalleryDep) -> Response:
    """A small JPEG of the image (at most 160 px a side), for lists of images."""
    body = gallery.thumbnail(owner_id=account.id, file_name=fileName)
    return Response(body, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.get(
    "/{fileName:path}/heatmap",
    response_class=Response,
    responses={
        200: {
            "description": "Greyscale PNG at the size of GET /images/{fileName}: brighter where the model saw more "
            "reason for a closer look (scaled per photo; black where the model was not shown the photo)",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        },
        **_BAD_NAME,
        404: {
            "model": ErrorBody,
            "description": "No such image for this user, or no map for it: not analysed yet, refused by the photo "
            "check, or a model without heatmaps",
        },
        422: {"model": ErrorBody, "description": "The stored image could not be analysed"},
    },
)
def get_heatmap(
    fileName: FileName, account: CurrentAccount, gallery: GalleryDep, classifier: ClassifierDep
) -> Response:
    """Where the model looked: what pushed its estimate toward "closer look", laid over the photo.

    A class-activation map from the same network pass as the label, computed on request. It shows
    where the model's evidence lay, not where the lesion is nor whether it is dangerous.
    """
    body = photo_heatmap_png(gallery=gallery, classifier=classifier, owner_id=account.id, file_name=fileName)
    return Response(body, media_type="image/png", headers={"Cache-Control": "private, no-store"})


@router.get(
    "/{fileName:image}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}},
        **_BAD_NAME,
        **_NOT_FOUND,
    },
)
def get_image(fileName: FileName, account: CurrentAccount, gallery: GalleryDep) -> Response:
    """The stored image (re-encoded as JPEG, metadata removed)."""
    body, content_type = gallery.content(owner_id=account.id, file_name=fileName)
    return Response(body, media_type=content_type, headers={"Cache-Control": "private, no-store"})


@router.delete("/{fileName:image}", status_code=status.HTTP_204_NO_CONTENT, responses={**_BAD_NAME, **_NOT_FOUND})
def delete_image(fileName: FileName, account: CurrentAccount, gallery: GalleryDep) -> Response:
    """Remove the image, its label and its jobs."""
    gallery.delete(owner_id=account.id, file_name=fileName)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
