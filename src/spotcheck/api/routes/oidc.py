"""Sign-in through the OpenID provider, for the page; and what the page offers (GET /auth/providers).

``/auth/oidc/login`` is a top-level navigation: it sends the browser to the provider. The provider
sends it back to ``/auth/oidc/callback``, which opens the same HttpOnly cookie session as a
password sign-in and sends the browser to the page. Between the two, the sign-in's state, nonce
and PKCE verifier wait in a signed cookie scoped to ``/auth/oidc`` that lives ten minutes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from spotcheck.api.deps import IdentitiesDep, OidcSignInDep, SessionsDep, SignInOptionsDep, TokensDep
from spotcheck.api.schemas import ErrorBody
from spotcheck.api.security import set_session_cookie
from spotcheck.auth import InvalidTokenError, OidcSignIn, PendingSignIn, SignInFailedError, TokenIssuer, TokenUse

__all__ = ["OidcProviderPublic", "ProvidersPublic", "router"]

router = APIRouter(prefix="/auth", tags=["auth"])

_PENDING_COOKIE = "spotcheck_oidc"
_PENDING_PATH = "/auth/oidc"
_PENDING_LIFETIME = timedelta(minutes=10)


class OidcProviderPublic(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    name: str = Field(description='Show "Sign in with <name>".')
    login_url: str = Field(description="Navigate the browser here (top level) to sign in at the provider.")


class ProvidersPublic(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    oidc: OidcProviderPublic | None = Field(description="The OpenID provider, when one is configured.")
    local_accounts: bool = Field(description="Whether e-mail and password sign-in and registration are on.")


@router.get("/providers")
def providers(options: SignInOptionsDep, sign_in: OidcSignInDep) -> ProvidersPublic:
    """How one can sign in here: the OpenID provider (if any), and whether passwords are on."""
    oidc = None
    if sign_in is not None:
        oidc = OidcProviderPublic(name=options.provider_name, login_url=f"{_PENDING_PATH}/login")
    return ProvidersPublic(oidc=oidc, local_accounts=options.local_accounts)


def _configured(sign_in: OidcSignIn | None) -> OidcSignIn:
    if sign_in is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail="No identity provider is configured here (SPOTCHECK_OIDC_ISSUER)."
        )
    return sign_in


@router.get(
    "/oidc/login",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={404: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
def oidc_login(request: Request, sign_in: OidcSignInDep, tokens: TokensDep) -> RedirectResponse:
    """Start signing in at the OpenID provider: redirects there (Authorization Code with PKCE)."""
    url, pending = _configured(sign_in).begin(redirect_uri=str(request.url_for("oidc_callback")))
    sealed = tokens.seal(
        {
            "state": pending.state,
            "nonce": pending.nonce,
            "verifier": pending.code_verifier,
            "redirect_uri": pending.redirect_uri,
        },
        use=TokenUse.OIDC_STATE,
        lifetime=_PENDING_LIFETIME,
    )
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    # Lax, not Strict: the browser must send it on the provider's redirect back, a cross-site navigation.
    response.set_cookie(
        _PENDING_COOKIE,
        sealed,
        max_age=int(_PENDING_LIFETIME.total_seconds()),
        path=_PENDING_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="lax",
    )
    return response


def _pending(request: Request, tokens: TokenIssuer) -> PendingSignIn:
    sealed = request.cookies.get(_PENDING_COOKIE)
    if not sealed:
        raise SignInFailedError("This sign-in was not started in this browser, or took too long; start again.")
    try:
        data = tokens.unseal(sealed, use=TokenUse.OIDC_STATE)
        return PendingSignIn(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            code_verifier=str(data["verifier"]),
            redirect_uri=str(data["redirect_uri"]),
        )
    except (InvalidTokenError, KeyError):
        raise SignInFailedError("This sign-in has expired or its cookie was altered; start again.") from None


@router.get(
    "/oidc/callback",
    name="oidc_callback",
    status_code=status.HTTP_303_SEE_OTHER,
    response_class=RedirectResponse,
    responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
def oidc_callback(
    request: Request,
    sign_in: OidcSignInDep,
    tokens: TokensDep,
    identities: IdentitiesDep,
    sessions: SessionsDep,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    error_description: Annotated[str | None, Query(max_length=1024)] = None,
) -> RedirectResponse:
    """Where the provider sends the browser back: opens the cookie session and redirects to the page."""
    service = _configured(sign_in)
    if error is not None:
        raise SignInFailedError(f"The identity provider answered {error!r}: {error_description or 'no reason given'}.")
    if not code or not state:
        raise SignInFailedError("The identity provider's answer lacks the code or the state; start again.")
    identity = service.finish(pending=_pending(request, tokens), state=state, code=code)
    account = identities.account_for(identity)
    token = sessions.start(user_id=account.id, use=TokenUse.PAGE)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, request, token=token, lifetime=tokens.lifetime)
    response.delete_cookie(
        _PENDING_COOKIE, path=_PENDING_PATH, secure=request.url.scheme == "https", httponly=True, samesite="lax"
    )
    return response
