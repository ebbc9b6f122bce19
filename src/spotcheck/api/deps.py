"""What routes depend on, as typed aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from spotcheck.auth import Account, InvalidTokenError
from spotcheck.gallery.service import Gallery
from spotcheck.runtime import Runtime

__all__ = ["CurrentAccount", "GalleryDep", "RuntimeDep"]

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def _gallery(runtime: RuntimeDep) -> Gallery:
    return runtime.gallery


GalleryDep = Annotated[Gallery, Depends(_gallery)]


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"})


def _current_account(runtime: RuntimeDep, token: Annotated[str | None, Depends(_bearer)]) -> Account:
    if not token:
        raise _unauthorised("Sign in first: send 'Authorization: Bearer <token>' from POST /auth/token.")
    try:
        user_id = runtime.tokens.verify(token)
    except InvalidTokenError:
        raise _unauthorised("The access token is invalid or has expired; sign in again.") from None
    account = runtime.accounts.get(user_id)
    if account is None:
        raise _unauthorised("The account of this token no longer exists.")
    return account


CurrentAccount = Annotated[Account, Depends(_current_account)]
