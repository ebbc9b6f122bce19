"""Assemble SpotCheck's parts from its settings, and take them down again."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

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
)
from spotcheck.classification import ClassificationWorker, WorkerPool
from spotcheck.classifier.base import Classifier
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.config import Settings, resolve_jwt_secret
from spotcheck.db import open_database
from spotcheck.gallery.service import Gallery
from spotcheck.images import ImageSanitizer
from spotcheck.jobs.sql import SqlJobQueue
from spotcheck.storage import LocalObjectStore, ObjectStore, open_store

__all__ = ["Runtime", "build_runtime"]

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: ObjectStore
    queue: SqlJobQueue
    classifier: Classifier
    accounts: AccountService
    tokens: TokenIssuer
    sessions: SessionService
    identities: IdentityService
    gallery: Gallery
    worker: ClassificationWorker
    pool: WorkerPool
    # Both set when SPOTCHECK_OIDC_ISSUER names an OpenID provider.
    identity_tokens: IdentityTokenValidator | None = None
    oidc_sign_in: OidcSignIn | None = None
    started: bool = field(default=False)

    def start(self, *, sole_worker: bool) -> None:
        """Reconcile interrupted work, then start the in-process workers.

        ``sole_worker``: no other process serves this data, so jobs left "running" by a crash are
        handed out again at once instead of after their lease, and uploads or deletes a crash cut
        short are repaired.
        """
        if isinstance(self.store, LocalObjectStore):
            self.store.remove_stale_temporaries()
        if sole_worker:
            released = self.queue.release_running()
            if released:
                log.info("re-queued %d jobs interrupted by a crash", released)
            repaired = self.gallery.repair_interrupted_writes()
            if repaired:
                log.info("repaired %d images whose upload or delete a crash interrupted", repaired)
        self.queue.prune_done()
        self.sessions.prune_expired()
        open_ids = self.queue.open_upload_ids()
        for event in self.gallery.pending_upload_keys():
            if event.upload_id not in open_ids:
                self.queue.publish(event)
        self.pool.start()
        self.started = True

    def stop(self) -> None:
        self.pool.stop()
        self.engine.dispose()


def _open_id_provider(settings: Settings) -> tuple[IdentityTokenValidator, OidcSignIn] | None:
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
    return validator, OidcSignIn(
        provider=provider, validator=validator, client_id=settings.oidc_client_id, client_secret=secret
    )


def build_runtime(
    settings: Settings, *, classifier: Classifier | None = None, concurrency: int | None = None
) -> Runtime:
    """Everything wired; raises ModelUnavailableError when no model can be loaded."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if classifier is None:
        classifier = OnnxClassifier(settings.model_path or packaged_model_path())
    engine = open_database(settings.resolved_database_url)
    store = open_store(settings)
    queue = SqlJobQueue(engine, lease_seconds=settings.job_lease_seconds)
    tokens = TokenIssuer(
        secret=resolve_jwt_secret(settings), lifetime=timedelta(minutes=settings.token_lifetime_minutes)
    )
    worker = ClassificationWorker(
        engine=engine, store=store, queue=queue, classifier=classifier, max_attempts=settings.job_max_attempts
    )
    oidc = _open_id_provider(settings)
    return Runtime(
        settings=settings,
        engine=engine,
        store=store,
        queue=queue,
        classifier=classifier,
        accounts=AccountService(
            engine,
            hasher=PasswordHasher(
                max_concurrent=settings.max_concurrent_password_hashes, wait_seconds=settings.password_hash_wait_seconds
            ),
        ),
        tokens=tokens,
        sessions=SessionService(engine=engine, tokens=tokens),
        identities=IdentityService(engine),
        gallery=Gallery(
            engine=engine,
            store=store,
            queue=queue,
            sanitizer=ImageSanitizer(
                max_pixels=settings.max_image_pixels, max_concurrent=settings.max_concurrent_decodes
            ),
        ),
        worker=worker,
        pool=WorkerPool(worker, queue, concurrency=settings.worker_concurrency if concurrency is None else concurrency),
        identity_tokens=oidc[0] if oidc else None,
        oidc_sign_in=oidc[1] if oidc else None,
    )
