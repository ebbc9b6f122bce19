"""What routes depend on, as typed aliases: each names one part of the runtime, never the whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from fastapi import Depends, HTTPException, Path, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import PlainValidator

from spotcheck.accounts import AccountData
from spotcheck.api.security import CSRF_HEADER, is_csrf_valid, read_session_cookie
from spotcheck.auth import (
    Account,
    IdentityService,
    InvalidTokenError,
    OidcSignIn,
    SessionService,
    TokenIssuer,
    TokenUse,
    looks_opaque,
    unverified_issuer,
)
from spotcheck.auth.throttled import ThrottledPasswords
from spotcheck.classifier.base import Classifier
from spotcheck.gallery.service import Gallery
from spotcheck.images import MAX_FILE_NAME_LENGTH, check_utf8_path, normalize_file_name
from spotcheck.ingest.direct import DirectUploads
from spotcheck.readiness import ReadinessProbe
from spotcheck.runtime import Runtime
from spotcheck.spots import ShareService, SpotService
from spotcheck.spots.zones import known_zone_names, zone_named

__all__ = [
    "AccountDataDep",
    "ClassifierDep",
    "CurrentAccount",
    "CurrentPrincipal",
    "CurrentUiSession",
    "DirectUploadsDep",
    "FileName",
    "GalleryDep",
    "IdentitiesDep",
    "LocalAccountsOn",
    "MaxUploadBytes",
    "MetricsText",
    "OidcSignInDep",
    "PasswordsDep",
    "Principal",
    "ReadinessDep",
    "SessionsDep",
    "SharesDep",
    "SignInOptions",
    "SignInOptionsDep",
    "SignOutAllowed",
    "SpotsDep",
    "TimeZone",
    "TokensDep",
    "UiSession",
    "WorkerState",
]

_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


# Dependencies that only read what is at hand are ``async``: FastAPI runs a plain ``def`` one on a
# thread of the pool, a hop to another thread and back for each, on every request.
async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


_RuntimeDep = Annotated[Runtime, Depends(_runtime)]  # for the aliases below, never for a route

_Part = TypeVar("_Part")


def _part(get: Callable[[Runtime], _Part]) -> Callable[[Request], Awaitable[_Part]]:
    """A dependency on one part of the runtime."""

    async def dependency(request: Request) -> _Part:
        return get(await _runtime(request))

    return dependency


# Photos and the model
GalleryDep = Annotated[Gallery, Depends(_part(lambda r: r.gallery))]
ClassifierDep = Annotated[Classifier, Depends(_part(lambda r: r.classifier))]
DirectUploadsDep = Annotated[DirectUploads, Depends(_part(lambda r: r.direct_uploads))]
MaxUploadBytes = Annotated[int, Depends(_part(lambda r: r.settings.uploads.max_upload_bytes))]
"""The largest image upload, in bytes (SPOTCHECK_MAX_UPLOAD_BYTES)."""

# Spots and the account's own data
SpotsDep = Annotated[SpotService, Depends(_part(lambda r: r.spots))]
SharesDep = Annotated[ShareService, Depends(_part(lambda r: r.shares))]
AccountDataDep = Annotated[AccountData, Depends(_part(lambda r: r.account_data))]

# Passwords and sessions
PasswordsDep = Annotated[ThrottledPasswords, Depends(_part(lambda r: r.passwords))]
SessionsDep = Annotated[SessionService, Depends(_part(lambda r: r.sessions))]
TokensDep = Annotated[TokenIssuer, Depends(_part(lambda r: r.tokens))]

# The OpenID provider
IdentitiesDep = Annotated[IdentityService, Depends(_part(lambda r: r.identities))]
OidcSignInDep = Annotated[OidcSignIn | None, Depends(_part(lambda r: r.oidc_sign_in))]
"""The provider's sign-in for the page; None when SPOTCHECK_OIDC_ISSUER is unset."""

# Operations
ReadinessDep = Annotated[ReadinessProbe, Depends(_part(lambda r: r.readiness))]
MetricsText = Annotated[Callable[[], bytes], Depends(_part(lambda r: r.metrics_text))]


async def _worker_state(runtime: _RuntimeDep) -> Literal["ok", "starting", "stopped", "external"]:
    if runtime.settings.jobs.threads == 0:
        return "external"  # `spotcheck worker` processes classify
    if runtime.workers_starting:
        return "starting"
    return "ok" if runtime.workers_running else "stopped"


WorkerState = Annotated[Literal["ok", "starting", "stopped", "external"], Depends(_worker_state)]
"""Whether this server's workers run (or its labelling process is still starting), or others classify
(SPOTCHECK_WORKER_CONCURRENCY=0)."""


@dataclass(frozen=True)
class SignInOptions:
    """How one can sign in here."""

    local_accounts: bool  # passwords kept by SpotCheck
    provider_name: str  # the OpenID provider's name for "Sign in with <name>"


async def _sign_in_options(runtime: _RuntimeDep) -> SignInOptions:
    settings = runtime.settings
    return SignInOptions(local_accounts=settings.accounts.local_accounts, provider_name=settings.oidc.display_name)


SignInOptionsDep = Annotated[SignInOptions, Depends(_sign_in_options)]


async def _local_accounts_on(options: SignInOptionsDep) -> None:
    if not options.local_accounts:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"Passwords are switched off on this server: sign in with {options.provider_name}.",
        )


LocalAccountsOn = Depends(_local_accounts_on)
"""Refuses (403) registration and password sign-in where SPOTCHECK_LOCAL_ACCOUNTS is false."""


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Principal:
    """A signed-in account and the server-side session its token belongs to."""

    account: Account
    session_id: str | None  # None: signed in by the OpenID provider's own token, which SpotCheck cannot end
    use: TokenUse  # API: a bearer token; PAGE: the page's session cookie


@dataclass(frozen=True)
class UiSession:
    """The web page's signed-in account, the token its session cookie holds, and that token's session."""

    account: Account
    token: str
    session_id: str


def _ui_session(request: Request, runtime: _RuntimeDep) -> UiSession | None:
    """The session cookie's account, None without a cookie; 401 when the cookie is stale."""
    token = read_session_cookie(request)
    if token is None:
        return None
    principal = _principal_for(
        runtime,
        token,
        use=TokenUse.PAGE,
        expired="Your session has expired or was signed out; sign in again.",
        gone="The account of this session no longer exists.",
    )
    assert principal.session_id is not None  # a cookie always carries one of SpotCheck's own sessions
    return UiSession(account=principal.account, token=token, session_id=principal.session_id)


def _current_ui_session(request: Request, runtime: _RuntimeDep) -> UiSession:
    session = _ui_session(request, runtime)
    if session is None:
        raise _unauthorised("Not signed in: POST /ui/session to sign in.")
    return session


CurrentUiSession = Annotated[UiSession, Depends(_current_ui_session)]


def _require_csrf(request: Request, session: UiSession) -> None:
    if not is_csrf_valid(request, session.token):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=(
                f"Missing or wrong {CSRF_HEADER} header: a request signed in by the session cookie must send "
                "the csrfToken that POST or GET /ui/session returned. Reload the page and try again."
            ),
        )


def _sign_out_allowed(request: Request, runtime: _RuntimeDep) -> None:
    """A live session must prove CSRF to be ended; a stale or absent one may always be cleared."""
    try:
        session = _ui_session(request, runtime)
    except HTTPException:
        return
    if session is not None:
        _require_csrf(request, session)


SignOutAllowed = Depends(_sign_out_allowed)


def _principal_for(runtime: Runtime, token: str, *, use: TokenUse, expired: str, gone: str) -> Principal:
    """The live account and session a signed token names; 401 with ``expired`` or ``gone`` otherwise."""
    try:
        claims = runtime.sessions.resolve(token, use=use)
    except InvalidTokenError:  # bad signature, expired, or its session was signed out
        raise _unauthorised(expired) from None
    account = runtime.accounts.get(claims.user_id)
    if account is None:
        raise _unauthorised(gone)
    return Principal(account=account, session_id=claims.session_id, use=use)


def _provider_principal(runtime: Runtime, token: str) -> Principal:
    """The account of an ID or access token from the OpenID provider, made on its first use."""
    assert runtime.identity_tokens is not None
    try:
        if runtime.opaque_tokens is not None and looks_opaque(token):
            identity = runtime.opaque_tokens.validate(token)
        else:
            identity = runtime.identity_tokens.validate(token)
    except InvalidTokenError as exc:  # a failed check or an unknown key; an unreachable provider is a 503
        raise _unauthorised(f"The identity provider's token was refused: {exc}.") from None
    return Principal(account=runtime.identities.account_for(identity), session_id=None, use=TokenUse.API)


def _current_principal(
    request: Request, runtime: _RuntimeDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    # A bearer token wins: a browser never adds one on its own, so it needs no CSRF check.
    if token:
        validator = runtime.identity_tokens
        # SpotCheck's own tokens are JWTs without ``iss``: one that names an issuer, or a token that is
        # no JWT at all (an opaque access token), is for the provider's checks.
        opaque = runtime.opaque_tokens is not None and looks_opaque(token)
        if validator is not None and (opaque or unverified_issuer(token) is not None):
            return _provider_principal(runtime, token)
        return _principal_for(
            runtime,
            token,
            use=TokenUse.API,
            expired="The access token is invalid, has expired or was signed out; sign in again.",
            gone="The account of this token no longer exists.",
        )
    session = _ui_session(request, runtime)
    if session is None:
        raise _unauthorised(
            "Sign in first: send 'Authorization: Bearer <token>' from POST /auth/token, or sign in on the web page."
        )
    _require_csrf(request, session)
    return Principal(account=session.account, session_id=session.session_id, use=TokenUse.PAGE)


CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]


async def _current_account(principal: CurrentPrincipal) -> Account:
    return principal.account


CurrentAccount = Annotated[Account, Depends(_current_account)]


async def _file_name(
    request: Request,
    fileName: Annotated[
        str,
        Path(
            description="The image's name: UTF-8, no path separators, '..' or control characters",
            # Documented, not enforced here: the naming rules answer 400 with the rule that was broken.
            json_schema_extra={"minLength": 1, "maxLength": MAX_FILE_NAME_LENGTH},
        ),
    ],
) -> str:
    """The fileName path parameter, NFC-normalised; 400 when its percent-encoded bytes are not UTF-8."""
    raw_path = request.scope.get("raw_path")
    if isinstance(raw_path, bytes):
        check_utf8_path(raw_path)
    return normalize_file_name(fileName)


FileName = Annotated[str, Depends(_file_name)]


# The names as one schema component, so that the schema says which values are taken; the check
# itself is zone_named's, whose 422 names the value in a plain message.
_TimeZoneName = StrEnum("TimeZoneName", {name: name for name in sorted(known_zone_names())})  # type: ignore[misc]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("tz must be text")
    return value


def _time_zone(
    tz: Annotated[
        str | None,
        PlainValidator(_text, json_schema_input_type=_TimeZoneName | None),
        Query(
            max_length=64,
            description="The person's IANA time zone (such as Europe/Warsaw) for the dates in texts; UTC if absent",
            examples=["Europe/Warsaw"],
        ),
    ] = None,
) -> tzinfo:
    """The ``tz`` query parameter as a zone; 422 with a plain message for a name the zone database lacks."""
    return zone_named(tz)


TimeZone = Annotated[tzinfo, Depends(_time_zone)]
