"""All run-time configuration, read once from ``SPOTCHECK_*`` environment variables.

The variables are flat (``SPOTCHECK_S3_BUCKET``, ``SPOTCHECK_MAX_UPLOAD_BYTES``); ``Settings`` groups
them by concern (``settings.storage.bucket``, ``settings.uploads.max_upload_bytes``). Each field of
a group carries its variable's name, less the prefix, as its alias, and ``Settings`` routes those
flat names into their groups, from the environment and from keyword arguments alike
(``Settings(max_upload_bytes=1000)``).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy import make_url

from spotcheck.rate_limits import parse_limits

__all__ = [
    "ENV_PREFIX",
    "PLACEHOLDER_SECRETS",
    "AccountSettings",
    "DatabaseSettings",
    "DeploymentError",
    "JobSettings",
    "ModelSettings",
    "MonitoringSettings",
    "OidcSettings",
    "ServerSettings",
    "Settings",
    "StorageSettings",
    "ThrottleSettings",
    "UploadSettings",
    "check_deployment",
    "explain_settings_error",
    "resolve_jwt_secret",
]

ENV_PREFIX = "SPOTCHECK_"
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "changethis", "secret", "jwt-secret", "test", "password"})
_MIN_SECRET_LENGTH = 32


class DeploymentError(ValueError):
    """The settings do not fit the deployment mode (a shared part without a shared secret, for example)."""


class _Group(BaseModel):
    """Settings of one concern; a field's alias is its variable's name without ``SPOTCHECK_``."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)


class DatabaseSettings(_Group):
    url: str | None = Field(
        default=None, alias="database_url", description="SQLAlchemy URL; SQLite in data_dir when unset."
    )
    timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        alias="database_timeout_seconds",
        description="Statement and pool limit on a database server; twice it cuts a stuck connection.",
    )


class StorageSettings(_Group):
    backend: Literal["local", "s3"] = Field(default="local", alias="storage_backend")
    endpoint_url: str | None = Field(default=None, alias="s3_endpoint_url")
    bucket: str = Field(default="spotcheck", alias="s3_bucket")
    region: str = Field(default="us-east-1", alias="s3_region")
    access_key_id: str | None = Field(default=None, alias="s3_access_key_id")
    secret_access_key: SecretStr | None = Field(default=None, alias="s3_secret_access_key")
    create_bucket: bool = Field(default=True, alias="s3_create_bucket")
    connect_timeout_seconds: float = Field(default=3.0, gt=0, alias="s3_connect_timeout_seconds")
    read_timeout_seconds: float = Field(default=5.0, gt=0, alias="s3_read_timeout_seconds")
    max_attempts: int = Field(
        default=2, ge=1, alias="s3_max_attempts", description="Tries per S3 call, the first included."
    )

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"SPOTCHECK_S3_ENDPOINT_URL {value!r} is not a URL like http://127.0.0.1:8333")
        return value


class ModelSettings(_Group):
    path: Path | None = Field(default=None, alias="model_path", description="ONNX model; the packaged one when unset.")
    url: str | None = Field(
        default=None,
        alias="model_url",
        description="A model server (`spotcheck model-server`, OIP v2) to classify through instead of in process.",
    )
    timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        alias="model_timeout_seconds",
        description="How long one classification call to the model server may take.",
    )
    sagemaker_endpoint: str | None = Field(
        default=None,
        alias="sagemaker_endpoint",
        description="A SageMaker endpoint serving the model image to classify through (InvokeEndpoint).",
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"SPOTCHECK_MODEL_URL {value!r} is not a URL like http://127.0.0.1:8080")
        return value

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        if self.url and self.sagemaker_endpoint:
            raise ValueError("set one of SPOTCHECK_MODEL_URL and SPOTCHECK_SAGEMAKER_ENDPOINT, not both")
        return self


class ServerSettings(_Group):
    """The HTTP edge of `spotcheck serve`."""

    api_docs: bool = Field(
        default=False,
        description="Serve Swagger UI at /docs and ReDoc at /redoc (scripts from a CDN, on the cookie's origin).",
    )
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body other than an image upload (JSON, forms); a larger one gets 413.",
    )
    header_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time a client has to send a request's line and headers; then 408, closed."
    )
    keep_alive_timeout_seconds: float = Field(
        default=5.0, gt=0, description="An idle kept-alive connection is closed after this."
    )
    max_connections: int = Field(
        default=1000,
        ge=1,
        description="Open connections to `spotcheck serve`; one more gets 503 and is closed (keep under `ulimit -n`).",
    )


class UploadSettings(_Group):
    """What an upload may be, how many decode at once, and what an account may keep."""

    max_upload_bytes: int = Field(default=15_000_000, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    max_concurrent_decodes: int = Field(
        default=2, ge=1, description="Uploads decoded at once; peak decode memory is this times the per-decode bound."
    )
    max_waiting_decodes: int = Field(
        default=8, ge=0, description="Uploads that may wait for a decode slot; more answer 503 before being read."
    )
    decode_budget_seconds: float = Field(
        default=10.0, gt=0, description="Longest one upload's decode may take; then 422 and its slot goes to the next."
    )
    max_photos_per_account: int = Field(
        default=5000, ge=1, description="Photos one account may keep; an upload under a new name gets 409 beyond."
    )
    max_spots_per_account: int = Field(default=500, ge=1, description="Spots one account may keep; 409 beyond.")


class AccountSettings(_Group):
    """Passwords kept by SpotCheck, and the tokens and sessions of every sign-in."""

    local_accounts: bool = Field(
        default=True, description="Passwords kept by SpotCheck; false leaves sign-in to the OpenID provider alone."
    )
    jwt_secret: SecretStr | None = None
    token_lifetime_minutes: int = Field(default=60, gt=0)
    max_concurrent_password_hashes: int = Field(
        default=2, ge=1, description="Argon2 hashes at once; each takes 64 MiB and most of a core."
    )
    password_hash_wait_seconds: float = Field(
        default=5.0, gt=0, description="How long a sign-in waits for a hashing slot before answering 503."
    )

    @field_validator("jwt_secret")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < _MIN_SECRET_LENGTH:
            raise ValueError(
                f"SPOTCHECK_JWT_SECRET must be a random value of at least {_MIN_SECRET_LENGTH} characters "
                "(for example `python -c 'import secrets; print(secrets.token_urlsafe(48))'`), not a placeholder"
            )
        return value


class ThrottleSettings(_Group):
    """Sign-in and registration limits, in the ``limits`` notation (the fields of ``auth.ThrottleLimits``)."""

    sign_in_per_address: str = Field(
        default="60/minute",
        alias="sign_in_limit_per_address",
        description="Sign-in attempts (token and page) from one client address.",
    )
    sign_in_failures_per_address_and_account: str = Field(
        default="10/15 minutes",
        alias="sign_in_failure_limit_per_address_and_account",
        description="Failed sign-ins for one account from one client address before 429.",
    )
    sign_in_failures_per_account: str = Field(
        default="100/15 minutes",
        alias="sign_in_failure_limit_per_account",
        description="Failed sign-ins for one account from all addresses before 429.",
    )
    register_per_address: str = Field(
        default="30/hour", alias="register_limit_per_address", description="Registrations from one client address."
    )
    register_per_account: str = Field(
        default="5/hour", alias="register_limit_per_account", description="Registrations naming one email address."
    )

    @field_validator("*")
    @classmethod
    def _parse_limit(cls, value: str) -> str:
        parse_limits(value)
        return value


class OidcSettings(_Group):
    """The OpenID provider, when one signs people in."""

    issuer: str | None = Field(
        default=None,
        alias="oidc_issuer",
        description="The OpenID provider's issuer URL; its discovery document is read from there.",
    )
    client_id: str | None = Field(default=None, alias="oidc_client_id")
    client_secret: SecretStr | None = Field(default=None, alias="oidc_client_secret")
    audience: str | None = Field(
        default=None,
        alias="oidc_audience",
        description="The audience of the provider's access tokens for this API; the client id when unset.",
    )
    name: str | None = Field(
        default=None,
        alias="oidc_name",
        description="The provider's name on the page (\"Sign in with <name>\"); from the issuer's host when unset.",
    )
    opaque_tokens: bool = Field(
        default=True,
        alias="oidc_opaque_tokens",
        description="Take the provider's opaque (non-JWT) access tokens, checked at its userinfo endpoint.",
    )

    @field_validator("issuer")
    @classmethod
    def _check_issuer(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                f"SPOTCHECK_OIDC_ISSUER {value!r} is not an issuer URL like https://id.example.org/realms/x"
            )
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError(f"SPOTCHECK_OIDC_ISSUER {value!r} must use https (plain http only on loopback, for tests)")
        return value

    @model_validator(mode="after")
    def _needs_client(self) -> Self:
        if self.issuer and not self.client_id:
            raise ValueError(
                "SPOTCHECK_OIDC_ISSUER needs SPOTCHECK_OIDC_CLIENT_ID (the client registered at the provider)"
            )
        return self

    @property
    def display_name(self) -> str:
        """The provider's name for "Sign in with <name>"."""
        if self.name:
            return self.name
        return urlsplit(self.issuer or "").hostname or "your identity provider"


class JobSettings(_Group):
    queue: Literal["sql", "procrastinate"] = Field(
        default="sql", description="Where jobs run: the jobs table, or Procrastinate on the PostgreSQL database."
    )
    worker_concurrency: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Worker threads of `spotcheck serve`; 0 to rely on `spotcheck worker`. "
            "Unset: 2 in a labelling process, 1 in the server's own."
        ),
    )
    worker_process: bool | None = Field(
        default=None,
        description=(
            "Embedded: run the workers in a child process of `spotcheck serve` (an interpreter of their own: "
            "more labels a second on two or more cores, for a second copy of the model in memory) instead of "
            "its threads. Unset: yes where the server may use two or more cores and runs the model itself."
        ),
    )
    max_attempts: int = Field(default=5, ge=1, alias="job_max_attempts")
    lease_seconds: float = Field(default=60.0, gt=0, alias="job_lease_seconds")

    @property
    def threads(self) -> int:
        """Worker threads: as set, or 2 in a labelling process (one runs the model while the other
        writes a label) and 1 in the server's own process (a second there only competes for its
        interpreter lock; docs/performance.md)."""
        if self.worker_concurrency is not None:
            return self.worker_concurrency
        return 2 if self.worker_process else 1


class MonitoringSettings(_Group):
    metrics: bool = Field(
        default=True, description="Serve Prometheus metrics: GET /metrics on the API, and a worker's metrics port."
    )
    metrics_host: str = Field(default="127.0.0.1", description="Address a `spotcheck worker` serves its metrics on.")
    metrics_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of a `spotcheck worker`'s metrics (0: any free one; unset: none).",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json`: one JSON object a line, with the request id or the job and upload ids."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    deployment: Literal["embedded", "shared"] = Field(
        default="embedded",
        description="embedded: one host owns the data (SQLite); shared: several hosts share a database server.",
    )
    data_dir: Path = Path("spotcheck-data")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    accounts: AccountSettings = Field(default_factory=AccountSettings)
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    monitoring: MonitoringSettings = Field(default_factory=MonitoringSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _FlatEnvironment(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data: Any) -> Any:
        """``{"s3_bucket": "b"}`` becomes ``{"storage": {"s3_bucket": "b"}}``; a group given whole is kept."""
        if not isinstance(data, dict):
            return data
        routed = {key: value for key, value in data.items() if key not in _GROUP_OF}
        for key, value in data.items():
            if (group := _GROUP_OF.get(key)) is not None:
                given = routed.get(group, {})
                if isinstance(given, BaseModel):
                    given = given.model_dump(by_alias=True)
                routed[group] = {**given, key: value}
        return routed

    @model_validator(mode="after")
    def _check_sign_in(self) -> Self:
        if not self.accounts.local_accounts and not self.oidc.issuer:
            raise ValueError(
                "SPOTCHECK_LOCAL_ACCOUNTS=false leaves no way to sign in: set SPOTCHECK_OIDC_ISSUER and "
                "SPOTCHECK_OIDC_CLIENT_ID too"
            )
        return self

    def updated(self, **changes: Any) -> Settings:
        """A copy with some settings changed, named as their variables are without the prefix
        (``updated(max_upload_bytes=1000)``), and checked again."""
        unknown = sorted(set(changes) - _NAMES)
        if unknown:
            raise TypeError(f"no such settings: {', '.join(unknown)}")
        flat = {"deployment": self.deployment, "data_dir": self.data_dir}
        for group in _GROUPS:
            flat |= getattr(self, group).model_dump(by_alias=True)
        return type(self).model_validate(flat | changes)

    def with_worker_layout(self, *, cores: int) -> Settings:
        """These settings with ``worker_process`` decided, for a server that may run on ``cores`` CPU
        cores: unset, the embedded server labels in a labelling process where it has two or more and
        runs the model itself (a model server or endpoint takes the pass out of its interpreter anyway)."""
        if self.jobs.worker_process is not None:
            return self
        model_here = not self.model.url and not self.model.sagemaker_endpoint
        labelling_process = (
            self.deployment == "embedded" and model_here and cores >= 2 and self.jobs.worker_concurrency != 0
        )
        return self.updated(worker_process=labelling_process)

    @property
    def resolved_database_url(self) -> str:
        return self.database.url or f"sqlite:///{(self.data_dir / 'spotcheck.db').resolve()}"

    @property
    def uses_database_server(self) -> bool:
        return make_url(self.resolved_database_url).get_backend_name() != "sqlite"


_GROUPS: dict[str, type[BaseModel]] = {
    name: field.annotation
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, _Group)
}
_GROUP_OF: dict[str, str] = {
    field.alias or name: group for group, model in _GROUPS.items() for name, field in model.model_fields.items()
}
# Every setting's name, as its variable is spelled without the prefix.
_NAMES = frozenset(_GROUP_OF) | (frozenset(Settings.model_fields) - frozenset(_GROUPS))
_SECRETS = frozenset({"jwt_secret", "s3_secret_access_key", "oidc_client_secret"})


class _FlatEnvironment(PydanticBaseSettingsSource):
    """``SPOTCHECK_<NAME>`` for every setting, whichever group holds it (names are not case-sensitive)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads every name at once

    def __call__(self) -> dict[str, Any]:
        environment = {key.upper(): value for key, value in os.environ.items()}
        found = {name: environment.get(f"{ENV_PREFIX}{name}".upper()) for name in _NAMES}
        return {name: value for name, value in found.items() if value is not None}


def explain_settings_error(error: ValidationError) -> str:
    """One line per refused setting, named by its environment variable (a secret's value is not shown)."""
    lines = []
    for item in error.errors(include_url=False):
        name = str(item["loc"][-1]) if item["loc"] else ""
        if name not in _NAMES:  # a rule across settings: its message names them
            lines.append(item["msg"].removeprefix("Value error, "))
            continue
        variable, message = f"{ENV_PREFIX}{name.upper()}", item["msg"].removeprefix("Value error, ")
        if message.startswith(variable):  # our own checks name the variable already
            lines.append(message)
            continue
        shown = "" if name in _SECRETS else f" (got {item['input']!r})"
        lines.append(f"{variable}: {message}{shown}")
    return "\n".join(lines)


def check_deployment(settings: Settings) -> None:
    """Refuse, at start-up, settings that would let hosts disagree; raises ``DeploymentError``.

    A database server or an S3 store can be reached by several hosts, so they need one JWT secret
    between them (each host would otherwise generate its own and reject the others' tokens). A
    database server also means several hosts may serve the data: that is ``shared``, where no
    process repairs the data at start-up as if it were alone.
    """
    shared_parts = [
        name
        for name, used in (
            ("a database server (SPOTCHECK_DATABASE_URL)", settings.uses_database_server),
            ("an S3 store (SPOTCHECK_STORAGE_BACKEND=s3)", settings.storage.backend == "s3"),
        )
        if used
    ]
    if settings.accounts.jwt_secret is None and (settings.deployment == "shared" or shared_parts):
        reason = "SPOTCHECK_DEPLOYMENT=shared" if settings.deployment == "shared" else " and ".join(shared_parts)
        raise DeploymentError(
            f"{reason} needs SPOTCHECK_JWT_SECRET, the same on every host, so that hosts accept each other's "
            "tokens: set it to a random value of at least 32 characters "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    if settings.deployment == "embedded" and settings.uses_database_server:
        raise DeploymentError(
            "SPOTCHECK_DATABASE_URL names a database server, which several hosts may share: set "
            "SPOTCHECK_DEPLOYMENT=shared (or leave SPOTCHECK_DATABASE_URL unset for the embedded SQLite database)"
        )
    if settings.deployment == "shared" and not settings.uses_database_server:
        raise DeploymentError(
            "SPOTCHECK_DEPLOYMENT=shared needs a database server that every host reaches: set "
            "SPOTCHECK_DATABASE_URL (for example postgresql+psycopg://user@db-host/spotcheck)"
        )
    if settings.jobs.worker_process and settings.deployment != "embedded":
        raise DeploymentError(
            "SPOTCHECK_WORKER_PROCESS is for the embedded default; with SPOTCHECK_DEPLOYMENT=shared run "
            "`spotcheck worker` processes beside the servers (SPOTCHECK_WORKER_CONCURRENCY=0)"
        )
    if settings.jobs.queue == "procrastinate" and not settings.uses_database_server:
        raise DeploymentError(
            "SPOTCHECK_QUEUE=procrastinate runs on PostgreSQL: set SPOTCHECK_DATABASE_URL to a PostgreSQL database "
            "(and SPOTCHECK_DEPLOYMENT=shared), or use SPOTCHECK_QUEUE=sql"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return None


def resolve_jwt_secret(settings: Settings) -> str:
    """The configured secret, or one generated on first start and kept in the data directory."""
    if settings.accounts.jwt_secret is not None:
        return settings.accounts.jwt_secret.get_secret_value()
    path = settings.data_dir / "jwt-secret"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        stored = _read_secret(path)
        if stored is not None and len(stored) >= _MIN_SECRET_LENGTH:
            return stored
        secret = secrets.token_urlsafe(48)
        temporary = path.with_name(f".jwt-secret-{secrets.token_hex(8)}.tmp")
        # Created owner-only from the start, never briefly readable by others.
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secret + "\n")
        try:
            if stored is None:
                # link() never overwrites: when two processes start together (serve and worker), one secret
                # wins and both use it, instead of each keeping its own and rejecting the other's tokens.
                os.link(temporary, path)
                return secret
            # Damaged (too short): replaced whole, then read back like any stored secret.
            os.replace(temporary, path)
        except FileExistsError:
            continue  # another process was first: use its secret
        finally:
            temporary.unlink(missing_ok=True)
    raise RuntimeError(f"could not create or read the JWT secret at {path}")
