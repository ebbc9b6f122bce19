"""The web page's sign-in: a cookie session instead of a bearer token (see ``api.security``)."""

from __future__ import annotations

from contextlib import suppress

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from spotcheck.api.deps import CurrentUiSession, LocalAccountsOn, PasswordsDep, SessionsDep, SignOutAllowed, TokensDep
from spotcheck.api.schemas import ErrorBody
from spotcheck.api.security import clear_session_cookie, csrf_token_for, read_session_cookie, set_session_cookie
from spotcheck.api.throttling import SIGN_IN_RESPONSES, client_address
from spotcheck.auth import InvalidTokenError, TokenIssuer, TokenUse

__all__ = ["SessionCreate", "SessionPublic", "router"]

router = APIRouter(prefix="/ui/session", tags=["web UI session"])


class SessionCreate(BaseModel):
    email: str = Field(max_length=320, examples=["ada@example.org"])
    password: str = Field(max_length=256)


class SessionPublic(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    email: str | None = Field(description="None for an account the identity provider made without an address.")
    csrf_token: str = Field(description="Send it back in the X-CSRF-Token header of every POST, PUT and DELETE.")
    expires_in: int = Field(description="Seconds until the session cookie expires.")


def _public(*, email: str | None, token: str, tokens: TokenIssuer) -> SessionPublic:
    return SessionPublic(email=email, csrf_token=csrf_token_for(token), expires_in=int(tokens.lifetime.total_seconds()))


@router.post("", dependencies=[LocalAccountsOn], responses=SIGN_IN_RESPONSES)
def create_session(
    body: SessionCreate,
    request: Request,
    response: Response,
    passwords: PasswordsDep,
    sessions: SessionsDep,
    tokens: TokensDep,
) -> SessionPublic:
    """Sign in: sets the HttpOnly session cookie and returns the CSRF token that goes with it."""
    account = passwords.sign_in(address=client_address(request), email=body.email, password=body.password)
    token = sessions.start(user_id=account.id, use=TokenUse.PAGE)
    set_session_cookie(response, request, token=token, lifetime=tokens.lifetime)
    return _public(email=account.email, token=token, tokens=tokens)


@router.get("", responses={401: {"model": ErrorBody}})
def read_session(session: CurrentUiSession, tokens: TokensDep) -> SessionPublic:
    """Who the session cookie signs in, and its CSRF token (for a page that was just reloaded)."""
    return _public(email=session.account.email, token=session.token, tokens=tokens)


@router.delete(
    "", status_code=status.HTTP_204_NO_CONTENT, dependencies=[SignOutAllowed], responses={403: {"model": ErrorBody}}
)
def delete_session(request: Request, sessions: SessionsDep, tokens: TokensDep) -> Response:
    """Sign out: ends the session on the server (its cookie and token stop working) and clears the cookie."""
    token = read_session_cookie(request)
    # A tampered or expired cookie has nothing on the server to end; it is cleared all the same.
    if token is not None:
        with suppress(InvalidTokenError):
            sessions.end(session_id=tokens.verify(token, use=TokenUse.PAGE).session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, request)
    return response
