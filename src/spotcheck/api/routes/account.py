"""The account's own data: what it is, everything as a zip, and deleting it with all it holds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.responses import StreamingResponse

from spotcheck.api.account_schemas import AccountDeleteRequest, AccountPublic
from spotcheck.api.deps import AccountDataDep, CurrentAccount, PasswordsDep
from spotcheck.api.schemas import SIGNED_IN_ERRORS, ErrorBody
from spotcheck.api.security import clear_session_cookie
from spotcheck.api.throttling import client_address, input_refused

router = APIRouter(prefix="/account", tags=["account"], responses=SIGNED_IN_ERRORS)

_CHUNK = 256 * 1024


@router.get("")
def get_account(account: CurrentAccount, data: AccountDataDep) -> AccountPublic:
    """The signed-in account: its address, when it was made, how it signs in."""
    profile = data.profile(user_id=account.id)
    return AccountPublic(email=profile.email, created_at=profile.created_at, sign_in_method=profile.sign_in_method)


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}},
)
def export_account(account: CurrentAccount, data: AccountDataDep) -> Response:
    """Everything as a zip: ``images/<fileName>`` and ``spotcheck-export.json`` (account, spots, images with
    their labels and answers, share links without their tokens)."""
    archive = data.export(user_id=account.id)
    size = os.fstat(archive.fileno()).st_size
    headers = {"Content-Disposition": 'attachment; filename="spotcheck-export.zip"', "Content-Length": str(size)}
    return StreamingResponse(_chunks(archive), media_type="application/zip", headers=headers)


def _chunks(archive: BinaryIO) -> Iterator[bytes]:
    """The file in pieces, closed (and so deleted) when the last one is sent or the client goes away."""
    with archive:
        while chunk := archive.read(_CHUNK):
            yield chunk


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        403: {"model": ErrorBody, "description": "The password is not right"},
        422: input_refused("Not the documented shape, or no password for an account that signs in with one"),
        429: {"model": ErrorBody, "description": "Too many wrong passwords (they count as failed sign-ins)"},
        503: {"model": ErrorBody, "description": "Too busy checking passwords; see Retry-After"},
    },
)
def delete_account(
    account: CurrentAccount,
    data: AccountDataDep,
    request: Request,
    passwords: PasswordsDep,
    body: Annotated[AccountDeleteRequest | None, Body()] = None,
) -> Response:
    """Delete the account with its images (objects removed from the store), labels, jobs, spots, share links
    and sessions. An account with a password must send it; wrong ones count as failed sign-ins."""
    with passwords.proof(address=client_address(request), account=account):
        data.delete(user_id=account.id, password=body.password if body else None)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, request)
    return response
