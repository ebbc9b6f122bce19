"""All run-time configuration, read once from ``SPOTCHECK_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url

from spotcheck.auth.throttle import ThrottleLimits, parse_limits

__all__ = ["PLACEHOLDER_SECRETS", "DeploymentError", "Settings", "check_deployment", "resolve_jwt_secret"]

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "changethis", "secret", "jwt-secret", "test", "password"})
_MIN_SECRET_LENGTH = 32


class DeploymentError(ValueError):
    """The settings do not fit the deployment mode (a shared part without a shared secret, for example)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPOTCHECK_", extra="ignore")

    deployment: Literal["embedded", "shared"] = Field(
        default="embedded",
        description="embedded: one host owns the data (SQLite); shared: several hosts share a database server.",
    )
    data_dir: Path = Path("spotcheck-data")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in data_dir when unset.")
    storage_backend: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "spotcheck"
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_create_bucket: bool = True
    model_path: Path | None = Field(default=None, description="ONNX model; the packaged one when unset.")
    model_url: str | None = Field(
        default=None,
        description="A model server (`spotcheck model-server`, OIP v2) to classify through instead of in process.",
    )
    model_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long one classification call to the model server may take."
    )
    sagemaker_endpoint: str | None = Field(
        default=None, description="A SageMaker endpoint serving the model image to classify through (InvokeEndpoint)."
    )
    jwt_secret: SecretStr | None = None
    api_docs: bool = Field(
        default=False,
        description="Serve Swagger UI at /docs and ReDoc at /redoc (scripts from a CDN, on the cookie's origin).",
    )
    token_lifetime_minutes: int = Field(default=60, gt=0)
    max_upload_bytes: int = Field(default=15_000_000, gt=0)
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest request body other than an image upload (JSON, forms); a larger one gets 413.",
    )
    max_image_pixels: int = Field(default=40_000_000, gt=0)
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
    max_photos_per_account: int = Field(
        default=5000, ge=1, description="Photos one account may keep; an upload under a new name gets 409 beyond."
    )
    max_spots_per_account: int = Field(default=500, ge=1, description="Spots one account may keep; 409 beyond.")
    max_concurrent_decodes: int = Field(
        default=2, ge=1, description="Uploads decoded at once; peak decode memory is this times the per-decode bound."
    )
    max_waiting_decodes: int = Field(
        default=8, ge=0, description="Uploads that may wait for a decode slot; more answer 503 before being read."
    )
    decode_budget_seconds: float = Field(
        default=10.0, gt=0, description="Longest one upload's decode may take; then 422 and its slot goes to the next."
    )
    sign_in_limit_per_address: str = Field(
        default="60/minute", description="Sign-in attempts (token and page) from one client address."
    )
    sign_in_failure_limit_per_address_and_account: str = Field(
        default="10/15 minutes", description="Failed sign-ins for one account from one client address before 429."
    )
    sign_in_failure_limit_per_account: str = Field(
        default="100/15 minutes", description="Failed sign-ins for one account from all addresses before 429."
    )
    register_limit_per_address: str = Field(default="30/hour", description="Registrations from one client address.")
    register_limit_per_account: str = Field(default="5/hour", description="Registrations naming one email address.")
    max_concurrent_password_hashes: int = Field(
        default=2, ge=1, description="Argon2 hashes at once; each takes 64 MiB and most of a core."
    )
    password_hash_wait_seconds: float = Field(
        default=5.0, gt=0, description="How long a sign-in waits for a hashing slot before answering 503."
    )
    local_accounts: bool = Field(
        default=True, description="Passwords kept by SpotCheck; false leaves sign-in to the OpenID provider alone."
    )
    oidc_issuer: str | None = Field(
        default=None, description="The OpenID provider's issuer URL; its discovery document is read from there."
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_audience: str | None = Field(
        default=None, description="The audience of the provider's access tokens for this API; the client id when unset."
    )
    oidc_name: str | None = Field(
        default=None,
        description="The provider's name on the page (\"Sign in with <name>\"); from the issuer's host when unset.",
    )
    oidc_opaque_tokens: bool = Field(
        default=True,
        description="Take the provider's opaque (non-JWT) access tokens, checked at its userinfo endpoint.",
    )
    worker_concurrency: int = Field(default=1, ge=0, description="In-process workers; 0 to rely on `spotcheck worker`.")
    job_max_attempts: int = Field(default=5, ge=1)
    job_lease_seconds: float = Field(default=60.0, gt=0)
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
    queue: Literal["sql", "procrastinate"] = Field(
        default="sql", description="Where jobs run: the jobs table, or Procrastinate on the PostgreSQL database."
    )
    s3_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    s3_read_timeout_seconds: float = Field(default=5.0, gt=0)
    s3_max_attempts: int = Field(default=2, ge=1, description="Tries per S3 call, the first included.")
    database_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Statement and pool limit on a database server; twice it cuts a stuck connection.",
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

    @field_validator(
        "sign_in_limit_per_address",
        "sign_in_failure_limit_per_address_and_account",
        "sign_in_failure_limit_per_account",
        "register_limit_per_address",
        "register_limit_per_account",
    )
    @classmethod
    def _parse_limit(cls, value: str) -> str:
        parse_limits(value)
        return value

    @field_validator("s3_endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"SPOTCHECK_S3_ENDPOINT_URL {value!r} is not a URL like http://127.0.0.1:8333")
        return value

    @field_validator("model_url")
    @classmethod
    def _check_model_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"SPOTCHECK_MODEL_URL {value!r} is not a URL like http://127.0.0.1:8080")
        return value

    @field_validator("oidc_issuer")
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
    def _check_sign_in(self) -> Self:
        if self.model_url and self.sagemaker_endpoint:
            raise ValueError("set one of SPOTCHECK_MODEL_URL and SPOTCHECK_SAGEMAKER_ENDPOINT, not both")
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError(
                "SPOTCHECK_OIDC_ISSUER needs SPOTCHECK_OIDC_CLIENT_ID (the client registered at the provider)"
            )
        if not self.local_accounts and not self.oidc_issuer:
            raise ValueError(
                "SPOTCHECK_LOCAL_ACCOUNTS=false leaves no way to sign in: set SPOTCHECK_OIDC_ISSUER and "
                "SPOTCHECK_OIDC_CLIENT_ID too"
            )
        return self

    @property
    def oidc_display_name(self) -> str:
        """The provider's name for "Sign in with <name>"."""
        if self.oidc_name:
            return self.oidc_name
        return urlsplit(self.oidc_issuer or "").hostname or "your identity provider"

    @property
    def throttle_limits(self) -> ThrottleLimits:
        return ThrottleLimits(
            sign_in_per_address=self.sign_in_limit_per_address,
            sign_in_failures_per_address_and_account=self.sign_in_failure_limit_per_address_and_account,
            sign_in_failures_per_account=self.sign_in_failure_limit_per_account,
            register_per_address=self.register_limit_per_address,
            register_per_account=self.register_limit_per_account,
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'spotcheck.db').resolve()}"

    @property
    def uses_database_server(self) -> bool:
        return make_url(self.resolved_database_url).get_backend_name() != "sqlite"


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
            ("an S3 store (SPOTCHECK_STORAGE_BACKEND=s3)", settings.storage_backend == "s3"),
        )
        if used
    ]
    if settings.jwt_secret is None and (settings.deployment == "shared" or shared_parts):
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
    if settings.queue == "procrastinate" and not settings.uses_database_server:
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
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
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
