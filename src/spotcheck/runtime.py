"""Assemble SpotCheck's parts from its settings, and take them down again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from spotcheck.auth import (
    AccountService,
    HttpJsonFetcher,
    IdentityService,
    IdentityTokenValidator,
    OidcSignIn,
    OpenIdProvider,
    PasswordHasher,
    SessionService,
    TokenIssuer,
    UserinfoTokenValidator,
)
from spotcheck.classification import ClassificationWorker, WorkerPool
from spotcheck.classification.worker import BATCH_SIZE, DECODE_SIZE
from spotcheck.classifier.base import Classifier
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.config import Settings, check_deployment, resolve_jwt_secret
from spotcheck.db import open_database
from spotcheck.gallery.records import ImageRecords
from spotcheck.gallery.service import Gallery
from spotcheck.images import ImageSanitizer
from spotcheck.images.handoff import DecodedPhotos
from spotcheck.jobs import JobMaintenance, JobQueue, OutboxRelay, SqlJobMaintenance, SqlJobQueue
from spotcheck.readiness import ReadinessProbe
from spotcheck.storage import LocalObjectStore, ObjectStore, open_store

if TYPE_CHECKING:
    from pwdlib import PasswordHash

    from spotcheck.jobs.procrastinate import ProcrastinateJobQueue

__all__ = ["Runtime", "build_runtime"]

log = logging.getLogger(__name__)

# /readyz answers within a second even when the database or the store hangs.
READY_DEADLINE_SECONDS = 0.8


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: ObjectStore
    queue: JobQueue  # what workers claim from: the outbox itself, or the engine the relay forwards to
    maintenance: JobMaintenance
    relay: OutboxRelay | None
    queue_engine: ProcrastinateJobQueue | None  # the external queue engine, when one is configured
    classifier: Classifier
    accounts: AccountService
    tokens: TokenIssuer
    sessions: SessionService
    identities: IdentityService
    gallery: Gallery
    worker: ClassificationWorker
    pool: WorkerPool
    readiness: ReadinessProbe
    # Both set when SPOTCHECK_OIDC_ISSUER names an OpenID provider.
    identity_tokens: IdentityTokenValidator | None = None
    oidc_sign_in: OidcSignIn | None = None
    opaque_tokens: UserinfoTokenValidator | None = None  # the provider's non-JWT access tokens, if taken

    def start(self, *, sole_worker: bool) -> None:
        """Reconcile interrupted work, then start the in-process workers.

        ``sole_worker``: no other process serves this data, so jobs left "running" by a crash are
        handed out again at once instead of after their lease, and uploads or deletes a crash cut
        short are repaired.
        """
        if isinstance(self.store, LocalObjectStore):
            self.store.remove_stale_temporaries()
        if sole_worker:
            released = self.maintenance.release_running()
            if released:
                log.info("re-queued %d jobs interrupted by a crash", released)
            repaired = self.gallery.repair_interrupted_writes()
            if repaired:
                log.info("repaired %d images whose upload or delete a crash interrupted", repaired)
        self.maintenance.prune()
        self.sessions.prune_expired()
        orphans = self.maintenance.requeue_orphans()
        if orphans:
            log.info("queued %d pending images that had no job", orphans)
        if self.relay is not None:
            self.relay.start()
        if self.queue_engine is not None:
            self.queue_engine.start()
        self.pool.start()

    def stop(self) -> None:
        if self.relay is not None:  # first: nothing is published into an engine being stopped
            self.relay.stop()
        self.pool.stop()  # lets the worker threads settle the batch they hold
        if self.queue_engine is not None:  # hands back to the engine the jobs no thread took
            self.queue_engine.stop()
        self.readiness.close()
        self.engine.dispose()


def _open_id_provider(
    settings: Settings,
) -> tuple[IdentityTokenValidator, OidcSignIn, UserinfoTokenValidator | None] | None:
    """The provider's token checks and page sign-in; nothing is read from it until first use."""
    if settings.oidc_issuer is None or settings.oidc_client_id is None:
        return None
    provider = OpenIdProvider(issuer=settings.oidc_issuer, fetcher=HttpJsonFetcher())
    validator = IdentityTokenValidator(
        provider=provider,
        client_id=settings.oidc_client_id,
        audiences=[settings.oidc_audience or settings.oidc_client_id],
    )
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
    sign_in = OidcSignIn(
        provider=provider, validator=validator, client_id=settings.oidc_client_id, client_secret=secret
    )
    opaque = UserinfoTokenValidator(provider=provider) if settings.oidc_opaque_tokens else None
    return validator, sign_in, opaque


@dataclass(frozen=True)
class _OpenedClassifier:
    classifier: Classifier
    checks: dict[str, Callable[[], None]]  # readiness checks it brings (a model server's)
    reachable: Callable[[], bool] = lambda: True  # False while workers should claim nothing
    decode_size: tuple[int, int] = DECODE_SIZE  # the least size the workers decode a stored photo at


def _open_classifier(settings: Settings) -> _OpenedClassifier:
    """The classifier the settings name: in process, behind a model server, or a SageMaker endpoint."""
    if settings.model_url:
        from spotcheck.classifier.remote import RemoteClassifier

        remote = RemoteClassifier(settings.model_url, timeout=settings.model_timeout_seconds)
        return _OpenedClassifier(
            remote, {"model server": lambda: remote.check(timeout=READY_DEADLINE_SECONDS)}, remote.reachable
        )
    if settings.sagemaker_endpoint:
        from spotcheck.classifier.sagemaker import SageMakerClassifier

        endpoint = SageMakerClassifier(
            settings.sagemaker_endpoint, region=settings.s3_region, timeout=settings.model_timeout_seconds
        )
        return _OpenedClassifier(endpoint, {})
    # No spinning: a server's uploads and requests need the CPU between two runs of the model.
    model = OnnxClassifier(settings.model_path or packaged_model_path(), spin=False)
    return _OpenedClassifier(model, {}, decode_size=model.decode_size)


def build_runtime(
    settings: Settings,
    *,
    classifier: Classifier | None = None,
    concurrency: int | None = None,
    password_hash: PasswordHash | None = None,
) -> Runtime:
    """Everything wired; raises DeploymentError for settings that do not fit the deployment mode, and
    ModelUnavailableError when no model can be loaded. ``password_hash`` replaces the recommended
    Argon2id (tests pass a cheap one; no setting reaches it)."""
    check_deployment(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    opened = _OpenedClassifier(classifier, {}) if classifier is not None else _open_classifier(settings)
    classifier = opened.classifier
    engine = open_database(settings.resolved_database_url, timeout=settings.database_timeout_seconds)
    store = open_store(settings)
    outbox = SqlJobQueue(engine, lease_seconds=settings.job_lease_seconds)
    workers = settings.worker_concurrency if concurrency is None else concurrency
    queue: JobQueue = outbox
    relay: OutboxRelay | None = None
    queue_engine: ProcrastinateJobQueue | None = None
    if settings.queue == "procrastinate":
        # Uploads still write the outbox in their own transaction; the relay forwards committed jobs.
        from spotcheck.jobs.procrastinate import ProcrastinateJobQueue  # the [postgres] extra

        # A worker process that dies is found by its missing heartbeats after one job lease.
        engine_queue = ProcrastinateJobQueue(
            settings.resolved_database_url,
            concurrency=max(1, workers) * BATCH_SIZE,
            consume=workers > 0,
            heartbeat_seconds=max(0.5, min(5.0, settings.job_lease_seconds / 4)),
            stalled_after_seconds=settings.job_lease_seconds,
        )
        queue = queue_engine = engine_queue
        relay = OutboxRelay(outbox, engine_queue)
    records = ImageRecords(engine, on_job_committed=outbox.wake)
    tokens = TokenIssuer(
        secret=resolve_jwt_secret(settings), lifetime=timedelta(minutes=settings.token_lifetime_minutes)
    )
    # In-process workers take the photos this process's uploads decoded; other processes read the store.
    decoded = DecodedPhotos(decode_size=opened.decode_size) if workers > 0 else None
    worker = ClassificationWorker(
        engine=engine,
        records=records,
        store=store,
        queue=queue,
        classifier=classifier,
        max_attempts=settings.job_max_attempts,
        decode_size=opened.decode_size,
        decoded=decoded,
    )
    oidc = _open_id_provider(settings)
    return Runtime(
        settings=settings,
        engine=engine,
        store=store,
        queue=queue,
        maintenance=SqlJobMaintenance(engine),
        relay=relay,
        queue_engine=queue_engine,
        classifier=classifier,
        accounts=AccountService(
            engine,
            hasher=PasswordHasher(
                max_concurrent=settings.max_concurrent_password_hashes,
                wait_seconds=settings.password_hash_wait_seconds,
                password_hash=password_hash,
            ),
        ),
        tokens=tokens,
        sessions=SessionService(engine=engine, tokens=tokens),
        identities=IdentityService(engine),
        gallery=Gallery(
            engine=engine,
            records=records,
            store=store,
            sanitizer=ImageSanitizer(
                max_pixels=settings.max_image_pixels,
                max_concurrent=settings.max_concurrent_decodes,
                budget_seconds=settings.decode_budget_seconds,
            ),
            max_photos=settings.max_photos_per_account,
            decoded=decoded,
        ),
        worker=worker,
        readiness=ReadinessProbe(
            {"database": lambda: _select_one(engine), "storage": lambda: store.check(), **opened.checks},
            deadline=READY_DEADLINE_SECONDS,
        ),
        pool=WorkerPool(worker, queue, concurrency=workers, classifier_reachable=opened.reachable),
        identity_tokens=oidc[0] if oidc else None,
        oidc_sign_in=oidc[1] if oidc else None,
        opaque_tokens=oidc[2] if oidc else None,
    )


def _select_one(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
