"""Direct uploads: a signed form to send a photo straight to the bucket."""

from __future__ import annotations

from fastapi import APIRouter, status

from spotcheck.api.deps import CurrentAccount, DirectUploadsDep
from spotcheck.api.schemas import SIGNED_IN_ERRORS, DirectUploadGrant, DirectUploadRequest, ErrorBody

router = APIRouter(tags=["images"], responses=SIGNED_IN_ERRORS)


@router.post(
    "/uploads",
    status_code=status.HTTP_201_CREATED,
    responses={
        400: {"model": ErrorBody, "description": "fileName breaks a naming rule"},
        409: {"model": ErrorBody, "description": "This server stores images locally: use PUT /images/{fileName}"},
    },
)
def create_upload(body: DirectUploadRequest, account: CurrentAccount, uploads: DirectUploadsDep) -> DirectUploadGrant:
    """A form, valid 10 minutes, to POST the photo straight to the bucket; the bucket's event classifies it.

    The store itself refuses a file over the upload limit. Until the photo's event is taken in,
    GET /detect/{fileName} answers 404; then 202 while it is classified, then the result.
    """
    grant = uploads.grant(owner_id=account.id, file_name=body.file_name)
    return DirectUploadGrant(
        file_name=grant.file_name,
        object_key=grant.object_key,
        upload_url=grant.url,
        fields=dict(grant.fields),
        expires_at=grant.expires_at,
    )
