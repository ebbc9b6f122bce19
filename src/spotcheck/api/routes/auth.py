"""Registration and sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from spotcheck.api.deps import CurrentPrincipal, LocalAccountsOn, PasswordsDep, SessionsDep, TokensDep
from spotcheck.api.schemas import (
    SIGNED_IN_ERRORS,
    ErrorBody,
    PasswordChange,
    RegisterAccepted,
    RegisterRequest,
    TokenResponse,
)
from spotcheck.api.security import clear_session_cookie
from spotcheck.api.throttling import (
    PASSWORDS_OFF,
    SIGN_IN_RESPONSES,
    TOO_BUSY_HASHING,
    client_address,
    input_refused,
)
from spotcheck.auth import TokenUse, normalise_email

router = APIRouter(prefix="/auth", tags=["auth"])


_REGISTERED = (
    "Registered: sign in with this address and password. If the address already had an account, "
    "that account is unchanged and only its own password signs in."
)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    dependencies=[LocalAccountsOn],
    responses={
        403: PASSWORDS_OFF,
        422: input_refused("Weak password, or a malformed email or one with invisible characters"),
        429: {"model": ErrorBody, "description": "Too many registrations; see Retry-After"},
        503: TOO_BUSY_HASHING,
    },
)
def register(body: RegisterRequest, request: Request, passwords: PasswordsDep) -> RegisterAccepted:
    """Create an account. The answer is the same whether or not the address was taken, so it reveals nothing."""
    email = normalise_email(body.email)
    passwords.register(address=client_address(request), email=email, password=body.password)
    return RegisterAccepted(email=email, message=_REGISTERED)


@router.post("/token", dependencies=[LocalAccountsOn], responses=SIGN_IN_RESPONSES)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    passwords: PasswordsDep,
    sessions: SessionsDep,
    tokens: TokensDep,
) -> TokenResponse:
    """OAuth2 password flow: ``username`` is the email address."""
    account = passwords.sign_in(address=client_address(request), email=form.username, password=form.password)
    return TokenResponse(
        access_token=sessions.start(user_id=account.id), expires_in=int(tokens.lifetime.total_seconds())
    )


@router.delete("/sessions", status_code=status.HTTP_204_NO_CONTENT, responses=SIGNED_IN_ERRORS)
def delete_sessions(principal: CurrentPrincipal, request: Request, sessions: SessionsDep) -> Response:
    """Sign out everywhere: ends every session of the account, this one included, on every device."""
    sessions.end_all(user_id=principal.account.id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, request)
    return response


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT, responses=SIGNED_IN_ERRORS)
def delete_current_session(principal: CurrentPrincipal, request: Request, sessions: SessionsDep) -> Response:
    """Sign out: ends the session of the token (or cookie) this request is signed in with."""
    if principal.session_id is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="This token was issued by the identity provider, not SpotCheck: sign out or revoke it there.",
        )
    sessions.end(session_id=principal.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if principal.use is TokenUse.PAGE:
        clear_session_cookie(response, request)
    return response


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[LocalAccountsOn],
    responses={
        **SIGN_IN_RESPONSES,
        403: {"model": ErrorBody, "description": "Wrong current password, no password here, or passwords are off"},
        422: input_refused("The new password is too weak"),
    },
)
def change_password(
    body: PasswordChange, principal: CurrentPrincipal, request: Request, passwords: PasswordsDep, sessions: SessionsDep
) -> Response:
    """Change the password; every other session of the account is signed out, this one stays."""
    passwords.change(
        address=client_address(request),
        account=principal.account,
        current=body.current_password,
        new=body.new_password,
    )
    sessions.end_all(user_id=principal.account.id, keep=principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
