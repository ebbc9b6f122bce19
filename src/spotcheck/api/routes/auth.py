"""Registration and sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from spotcheck.api.deps import RuntimeDep
from spotcheck.api.schemas import AccountPublic, ErrorBody, RegisterRequest, TokenResponse

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorBody}, 422: {"description": "Weak password or malformed email"}},
)
def register(body: RegisterRequest, runtime: RuntimeDep) -> AccountPublic:
    account = runtime.accounts.register(email=body.email, password=body.password)
    return AccountPublic(id=account.id, email=account.email)


@router.post("/token", responses={401: {"model": ErrorBody}})
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], runtime: RuntimeDep) -> TokenResponse:
    """OAuth2 password flow: ``username`` is the email address."""
    account = runtime.accounts.authenticate(email=form.username, password=form.password)
    return TokenResponse(
        access_token=runtime.tokens.issue(account.id),
        expires_in=int(runtime.tokens.lifetime.total_seconds()),
    )
