"""Upload, list, fetch and delete a user's images."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from spotcheck.api.deps import CurrentAccount, GalleryDep, RuntimeDep
from spotcheck.api.schemas import ErrorBody, ImageItem, ImageList, UploadAccepted
from spotcheck.api.uploads import limit_body, read_body, read_upload
from spotcheck.gallery.service import ImageSummary

router = APIRouter(prefix="/images", tags=["images"])

_UPLOAD_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "fileName breaks a naming rule"},
    413: {"model": ErrorBody, "description": "Larger than the upload limit"},
    415: {"model": ErrorBody, "description": "Not a JPEG, PNG, WebP or HEIC image (judged by content)"},
    422: {"model": ErrorBody, "description": "Damaged, truncated or far too many pixels"},
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
                    },
                }
            }
        },
    }
}


def _accepted(response: Response, summary: ImageSummary) -> UploadAccepted:
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"/detect/{quote(summary.file_name, safe='')}"
    return UploadAccepted(file_name=summary.file_name)


def _item(summary: ImageSummary) -> ImageItem:
    return ImageItem(
        file_name=summary.file_name,
        status=summary.status,  # type: ignore[arg-type]
        size=summary.size,
        uploaded_at=summary.uploaded_at,
        classification=summary.classification,
        malignant_probability=summary.malignant_probability,
        model_version=summary.model_version,
        classified_at=summary.classified_at,
        error=summary.error,
    )


@router.put("/{fileName:path}", status_code=status.HTTP_202_ACCEPTED, responses=_UPLOAD_ERRORS)
async def put_image(
    fileName: str, request: Request, response: Response, account: CurrentAccount, runtime: RuntimeDep
) -> UploadAccepted:
    """Store the raw request body as image ``fileName`` (replacing any earlier one) and classify it."""
    data = await read_body(request, runtime.settings.max_upload_bytes)
    summary = await run_in_threadpool(runtime.gallery.upload, owner_id=account.id, file_name=fileName, data=data)
    return _accepted(response, summary)


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=_UPLOAD_ERRORS, openapi_extra=_MULTIPART_SCHEMA)
async def post_image(
    request: Request, response: Response, account: CurrentAccount, runtime: RuntimeDep
) -> UploadAccepted:
    """Multipart upload: field ``file``, optional ``fileName``."""
    limit = runtime.settings.max_upload_bytes
    bounded = limit_body(request, limit, framing=_MULTIPART_FRAMING)
    async with bounded.form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "Send the image in a multipart field named 'file'.")
        data = await read_upload(upload, limit)
        requested = form.get("fileName")
        file_name = requested if isinstance(requested, str) and requested else f"{uuid.uuid4().hex}.jpg"
    summary = await run_in_threadpool(runtime.gallery.upload, owner_id=account.id, file_name=file_name, data=data)
    return _accepted(response, summary)


@router.get("")
def list_images(
    account: CurrentAccount,
    gallery: GalleryDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ImageList:
    """The caller's uploads, newest first."""
    page = gallery.list_page(owner_id=account.id, limit=limit, offset=offset)
    return ImageList(items=[_item(s) for s in page.items], total=page.total, limit=limit, offset=offset)


@router.get(
    "/{fileName:path}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"model": ErrorBody}},
)
def get_image(fileName: str, account: CurrentAccount, gallery: GalleryDep) -> Response:
    """The stored image (re-encoded as JPEG, metadata removed)."""
    body, content_type = gallery.content(owner_id=account.id, file_name=fileName)
    return Response(body, media_type=content_type, headers={"Cache-Control": "private, no-store"})


@router.delete("/{fileName:path}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {"model": ErrorBody}})
def delete_image(fileName: str, account: CurrentAccount, gallery: GalleryDep) -> Response:
    """Remove the image, its label and its jobs."""
    gallery.delete(owner_id=account.id, file_name=fileName)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
