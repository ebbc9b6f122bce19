"""Registration and sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from spotcheck.api.deps import CurrentPrincipal, RuntimeDep
from spotcheck.api.schemas import AccountPublic, ErrorBody, RegisterRequest, TokenResponse
from spotcheck.api.security import clear_session_cookie

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
        access_token=runtime.sessions.start(user_id=account.id),
        expires_in=int(runtime.tokens.lifetime.total_seconds()),
    )


@router.delete("/sessions", status_code=status.HTTP_204_NO_CONTENT, responses={401: {"model": ErrorBody}})
def delete_sessions(principal: CurrentPrincipal, request: Request, runtime: RuntimeDep) -> Response:
    """Sign out everywhere: ends every session of the account, this one included, on every device."""
    runtime.sessions.end_all(user_id=principal.account.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, request)
    return response
