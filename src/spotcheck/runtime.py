"""The composition root: every part of SpotCheck built from its settings, and taken down again.

``spotcheck serve``, ``spotcheck worker``, ``spotcheck events`` and the AWS Lambda handler each call
``build_runtime`` and use the parts it returns; nothing else builds a service. The API reaches the
parts through the narrow dependencies of ``spotcheck.api.deps``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from spotcheck.accounts import AccountData
from spotcheck.auth import (
    AccountService,
    AuthThrottle,
    HttpJsonFetcher,
    IdentityService,
    IdentityTokenValidator,
    OidcSignIn,
    OpenIdProvider,
    PasswordHasher,
    SessionService,
    ThrottleLimits,
    TokenIssuer,
    UserinfoTokenValidator,
)
from spotcheck.auth.throttled import ThrottledPasswords
from spotcheck.classifier.base import Classifier, PreparesPhotos
from spotcheck.classifier.handoff import PhotoHandoff, PreparedPhotos
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.config import (
    ModelSettings,
    OidcSettings,
    Settings,
    StorageSettings,
    check_deployment,
    resolve_jwt_secret,
)
from spotcheck.db import open_database
from spotcheck.gallery.records import ImageRecords
from spotcheck.gallery.service import Gallery
from spotcheck.hardware import usable_cores
from spotcheck.images import ImageSanitizer
from spotcheck.ingest.direct import DirectUploads
from spotcheck.ingest.reconcile import Reconciler
from spotcheck.ingest.service import Ingestor
from spotcheck.jobs import JobMaintenance, JobQueue, OutboxRelay, SqlJobMaintenance, SqlJobQueue
from spotcheck.labelling import ClassificationWorker, WorkerPool
from spotcheck.labelling.child import LabellingProcess, handoff_folder
from spotcheck.labelling.photo_files import DecodedPhotoFiles
from spotcheck.labelling.worker import BATCH_SIZE, DECODE_SIZE
from spotcheck.observability import exposition
from spotcheck.readiness import ReadinessProbe
from spotcheck.spots import ShareService, SpotService
from spotcheck.storage import LocalObjectStore, ObjectStore, S3ObjectStore

if TYPE_CHECKING:
    from pwdlib import PasswordHash

    from spotcheck.jobs.procrastinate import ProcrastinateJobQueue

__all__ = ["BucketEvents", "Runtime", "build_runtime", "model_threads"]

log = logging.getLogger(__name__)

# /readyz answers within a second even when the database or the store hangs.
READY_DEADLINE_SECONDS = 0.8


@dataclass(frozen=True)
class BucketEvents:
    """What takes in the objects that reach the S3 bucket directly (``spotcheck events``, the Lambda)."""

    bucket: str
    ingestor: Ingestor
    reconciler: Reconciler


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
    passwords: ThrottledPasswords  # every password check, throttled by account and client address
    gallery: Gallery
    spots: SpotService
    shares: ShareService
    account_data: AccountData
    direct_uploads: DirectUploads
    worker: ClassificationWorker
    pool: WorkerPool | LabellingProcess  # worker threads, or the labelling child process that runs them
    readiness: ReadinessProbe
    metrics_text: Callable[[], bytes]  # the Prometheus exposition, the queue's depth included
    bucket_events: BucketEvents | None = None  # with the S3 store only
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
        if sole_worker:
            # Only when alone: another process's temporaries may be objects it is writing right now.
            self.store.remove_stale_temporaries()
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

    @property
    def workers_running(self) -> bool:
        """The worker threads run and, with an external queue engine, it hands them jobs."""
        return self.pool.running and (self.queue_engine is None or self.queue_engine.running)

    @property
    def workers_starting(self) -> bool:
        """The labelling process runs but is still loading its model: no job is labelled yet."""
        return self.pool.starting

    def stop(self) -> None:
        if self.relay is not None:  # first: nothing is published into an engine being stopped
            self.relay.stop()
        self.pool.stop()  # lets the worker threads settle the batch they hold
        if self.queue_engine is not None:  # hands back to the engine the jobs no thread took
            self.queue_engine.stop()
        self.readiness.close()
        self.engine.dispose()


def _open_id_provider(
    oidc: OidcSettings,
) -> tuple[IdentityTokenValidator, OidcSignIn, UserinfoTokenValidator | None] | None:
    """The provider's token checks and page sign-in; nothing is read from it until first use."""
    if oidc.issuer is None or oidc.client_id is None:
        return None
    provider = OpenIdProvider(issuer=oidc.issuer, fetcher=HttpJsonFetcher())
    validator = IdentityTokenValidator(
        provider=provider, client_id=oidc.client_id, audiences=[oidc.audience or oidc.client_id]
    )
    secret = oidc.client_secret.get_secret_value() if oidc.client_secret else None
    sign_in = OidcSignIn(provider=provider, validator=validator, client_id=oidc.client_id, client_secret=secret)
    opaque = UserinfoTokenValidator(provider=provider) if oidc.opaque_tokens else None
    return validator, sign_in, opaque


@dataclass(frozen=True)
class _OpenedClassifier:
    classifier: Classifier
    checks: dict[str, Callable[[], None]]  # readiness checks it brings (a model server's)
    reachable: Callable[[], bool] = lambda: True  # False while workers should claim nothing
    decode_size: tuple[int, int] = DECODE_SIZE  # the least size the workers decode a stored photo at


def _open_classifier(model: ModelSettings, *, region: str, threads: int | None = None) -> _OpenedClassifier:
    """The classifier the settings name: in process (``threads`` a pass, or every core), behind a model
    server, or a SageMaker endpoint."""
    if model.url:
        from spotcheck.classifier.remote import RemoteClassifier

        remote = RemoteClassifier(model.url, timeout=model.timeout_seconds)
        return _OpenedClassifier(
            remote, {"model server": lambda: remote.check(timeout=READY_DEADLINE_SECONDS)}, remote.reachable
        )
    if model.sagemaker_endpoint:
        from spotcheck.classifier.sagemaker import SageMakerClassifier

        endpoint = SageMakerClassifier(model.sagemaker_endpoint, region=region, timeout=model.timeout_seconds)
        return _OpenedClassifier(endpoint, {})
    # No spinning: a server's uploads and requests need the CPU between two runs of the model.
    onnx = OnnxClassifier(model.path or packaged_model_path(), threads=threads, spin=False)
    return _OpenedClassifier(onnx, {}, decode_size=onnx.decode_size)


def model_threads(concurrency: int | None, *, cores: int) -> int | None:
    """ONNX Runtime's threads a pass in a process with ``concurrency`` worker threads on ``cores``.

    In a `spotcheck worker` process (a server's labelling process too) the worker threads run passes
    side by side, so each pass gets its share of the cores: on two cores, two passes of one thread
    each spent 5.6-5.8 ms of CPU a photo, against 6.5-6.8 ms with two threads each, which hand every
    operator across threads and back (scripts/bench_model_threads.py). None (every core) for a
    server's own threads, and where there are no worker threads.
    """
    return max(1, cores // concurrency) if concurrency else None


def _open_store(storage: StorageSettings, *, data_dir: Path) -> ObjectStore:
    if storage.backend != "s3":
        return LocalObjectStore(data_dir)
    secret = storage.secret_access_key
    return S3ObjectStore(
        bucket=storage.bucket,
        endpoint_url=storage.endpoint_url,
        region=storage.region,
        access_key_id=storage.access_key_id,
        secret_access_key=secret.get_secret_value() if secret else None,
        create_bucket=storage.create_bucket,
        connect_timeout=storage.connect_timeout_seconds,
        read_timeout=storage.read_timeout_seconds,
        max_attempts=storage.max_attempts,
        # Shared by the processes on this data folder: a server and its labelling process on SQLite.
        outage_file=data_dir / "s3-unreachable",
    )


def build_runtime(
    settings: Settings | None = None,
    *,
    classifier: Classifier | None = None,
    concurrency: int | None = None,
    password_hash: PasswordHash | None = None,
    handoff_dir: Path | None = None,
) -> Runtime:
    """Everything wired, from ``settings`` or else the ``SPOTCHECK_*`` environment; raises
    DeploymentError for settings that do not fit the deployment mode, and ModelUnavailableError when
    no model can be loaded. ``password_hash`` replaces the recommended Argon2id (tests pass a cheap
    one; no setting reaches it). ``concurrency`` (worker threads) is given by ``spotcheck worker``;
    ``handoff_dir`` makes it the labelling process of a server, taking the photos it decoded."""
    settings = Settings() if settings is None else settings
    check_deployment(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if classifier is not None:
        opened = _OpenedClassifier(classifier, {})
    else:
        threads = model_threads(concurrency, cores=usable_cores())
        opened = _open_classifier(settings.model, region=settings.storage.region, threads=threads)
    engine = open_database(settings.resolved_database_url, timeout=settings.database.timeout_seconds)
    store = _open_store(settings.storage, data_dir=settings.data_dir)
    jobs, uploads, account_settings = settings.jobs, settings.uploads, settings.accounts
    outbox = SqlJobQueue(engine, lease_seconds=jobs.lease_seconds)
    workers = jobs.threads if concurrency is None else concurrency
    queue, relay, queue_engine = _open_queue(settings, outbox, workers=workers)
    classifier = opened.classifier
    photos: PhotoHandoff | None = None
    labelling: LabellingProcess | None = None
    if settings.jobs.worker_process and concurrency is None and workers > 0:
        photos = DecodedPhotoFiles(handoff_folder(), decode_size=opened.decode_size)
        labelling = LabellingProcess(
            concurrency=workers,
            data_dir=settings.data_dir.resolve(),
            photos=photos,
            on_restart=SqlJobMaintenance(engine).release_running,  # the child was the only worker
        )
    elif handoff_dir is not None:
        photos = DecodedPhotoFiles(handoff_dir, decode_size=opened.decode_size)
    elif workers > 0 and isinstance(classifier, PreparesPhotos):
        # In-process workers take the photos this process's uploads prepared; other processes read the store.
        photos = PreparedPhotos(prepare=classifier.prepare, decode_size=opened.decode_size)
    records = ImageRecords(engine, on_job_committed=outbox.wake if labelling is None else labelling.wake)
    tokens = TokenIssuer(
        secret=resolve_jwt_secret(settings), lifetime=timedelta(minutes=account_settings.token_lifetime_minutes)
    )
    accounts = AccountService(
        engine,
        hasher=PasswordHasher(
            max_concurrent=account_settings.max_concurrent_password_hashes,
            wait_seconds=account_settings.password_hash_wait_seconds,
            password_hash=password_hash,
        ),
    )
    sessions = SessionService(engine=engine, tokens=tokens)
    gallery = Gallery(
        engine=engine,
        records=records,
        store=store,
        sanitizer=ImageSanitizer(
            max_pixels=uploads.max_image_pixels,
            max_concurrent=uploads.max_concurrent_decodes,
            budget_seconds=uploads.decode_budget_seconds,
        ),
        max_photos=uploads.max_photos_per_account,
        prepared=photos,
    )
    spots = SpotService(engine=engine, gallery=gallery, store=store, max_spots=uploads.max_spots_per_account)
    shares = ShareService(engine=engine)
    worker = ClassificationWorker(
        engine=engine,
        records=records,
        store=store,
        queue=queue,
        classifier=opened.classifier,
        max_attempts=jobs.max_attempts,
        decode_size=opened.decode_size,
        prepared=photos,
    )
    oidc = _open_id_provider(settings.oidc)
    return Runtime(
        settings=settings,
        engine=engine,
        store=store,
        queue=queue,
        maintenance=SqlJobMaintenance(engine),
        relay=relay,
        queue_engine=queue_engine,
        classifier=opened.classifier,
        accounts=accounts,
        tokens=tokens,
        sessions=sessions,
        identities=IdentityService(engine),
        passwords=ThrottledPasswords(
            accounts=accounts, throttle=AuthThrottle(ThrottleLimits(**settings.throttle.model_dump()))
        ),
        gallery=gallery,
        spots=spots,
        shares=shares,
        account_data=AccountData(
            engine=engine,
            store=store,
            gallery=gallery,
            spots=spots,
            shares=shares,
            accounts=accounts,
            sessions=sessions,
        ),
        direct_uploads=DirectUploads(store=store, max_upload_bytes=uploads.max_upload_bytes),
        worker=worker,
        readiness=ReadinessProbe(
            {"database": lambda: _select_one(engine), "storage": lambda: store.check(), **opened.checks},
            deadline=READY_DEADLINE_SECONDS,
        ),
        pool=labelling or WorkerPool(worker, queue, concurrency=workers, classifier_reachable=opened.reachable),
        metrics_text=functools.partial(
            exposition,
            engine,
            procrastinate=queue_engine is not None,
            worker_text=labelling.worker_metrics if labelling is not None else None,
        ),
        bucket_events=_bucket_events(settings, engine=engine, store=store, gallery=gallery),
        identity_tokens=oidc[0] if oidc else None,
        oidc_sign_in=oidc[1] if oidc else None,
        opaque_tokens=oidc[2] if oidc else None,
    )


def _open_queue(
    settings: Settings, outbox: SqlJobQueue, *, workers: int
) -> tuple[JobQueue, OutboxRelay | None, ProcrastinateJobQueue | None]:
    """What workers claim from, the relay that feeds it from the outbox, and the external engine."""
    if settings.jobs.queue != "procrastinate":
        return outbox, None, None
    # Uploads still write the outbox in their own transaction; the relay forwards committed jobs.
    from spotcheck.jobs.procrastinate import ProcrastinateJobQueue  # the [postgres] extra

    # A worker process that dies is found by its missing heartbeats after one job lease.
    engine_queue = ProcrastinateJobQueue(
        settings.resolved_database_url,
        concurrency=max(1, workers) * BATCH_SIZE,
        consume=workers > 0,
        heartbeat_seconds=max(0.5, min(5.0, settings.jobs.lease_seconds / 4)),
        stalled_after_seconds=settings.jobs.lease_seconds,
    )
    return engine_queue, OutboxRelay(outbox, engine_queue), engine_queue


def _bucket_events(settings: Settings, *, engine: Engine, store: ObjectStore, gallery: Gallery) -> BucketEvents | None:
    if settings.storage.backend != "s3":
        return None
    bucket = settings.storage.bucket
    ingestor = Ingestor(
        engine=engine, store=store, gallery=gallery, bucket=bucket, max_upload_bytes=settings.uploads.max_upload_bytes
    )
    return BucketEvents(bucket, ingestor, Reconciler(engine=engine, store=store, bucket=bucket, handle=ingestor.handle))


def _select_one(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
