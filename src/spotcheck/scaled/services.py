"""The stores the scaled stack starts for itself, on 127.0.0.1: SeaweedFS and PostgreSQL."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Postgres", "S3Credentials", "SeaweedFS", "StackError", "free_ports", "wait_until"]


class StackError(RuntimeError):
    """A part of the stack could not start; the message says which and why."""


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held until every one is chosen)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(closing(socket.socket())) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_port_pair(offset: int) -> tuple[int, int]:
    """A free loopback port and the one ``offset`` above it, both free (both held until chosen)."""
    while True:
        with closing(socket.socket()) as low, closing(socket.socket()) as high:
            low.bind(("127.0.0.1", 0))
            port = int(low.getsockname()[1])
            if port + offset > 65535:
                continue
            try:
                high.bind(("127.0.0.1", port + offset))
            except OSError:
                continue
            return port, port + offset


def wait_until(ready: Callable[[], bool], *, what: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            raise StackError(f"{what} exited with status {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise StackError(f"{what} was not ready after {timeout:g} s")
        time.sleep(0.2)


@dataclass(frozen=True, slots=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str


# Every listener `weed mini` opens gets its own free port (gRPC ports default to HTTP + 10000).
_WEED_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)
# SeaweedFS's maintenance worker dials the admin server at its HTTP port + 10000 whatever
# -admin.port.grpc says (4.48): the gRPC port is put there, or the worker's log fills with
# failed dials ("invalid port" above 55535).
_ADMIN_GRPC_OFFSET = 10000


class SeaweedFS:
    """``weed mini``: master, volume, filer and S3 gateway in one process, files under ``root``."""

    def __init__(self, *, weed: Path, root: Path, credentials: S3Credentials, socket_dir: Path | None = None) -> None:
        self._weed = weed
        self._root = root
        self._credentials = credentials
        # Unix socket paths must stay under 108 bytes: a deep ``root`` wants a short ``socket_dir``.
        self._socket_dir = socket_dir or root
        self._ports = dict(zip(_WEED_PORTS, free_ports(len(_WEED_PORTS)), strict=True))
        self._ports["admin.port"], self._ports["admin.port.grpc"] = free_port_pair(_ADMIN_GRPC_OFFSET)

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self._ports['s3.port']}"

    @property
    def filer(self) -> str:
        """The filer as `weed` tools address it, its gRPC port included."""
        return f"127.0.0.1:{self._ports['filer.port']}.{self._ports['filer.port.grpc']}"

    def command(self) -> list[str]:
        (self._root / "data").mkdir(parents=True, exist_ok=True)
        config = self._root / "s3.json"
        identity = {
            "name": "spotcheck",
            "credentials": [
                {"accessKey": self._credentials.access_key_id, "secretKey": self._credentials.secret_access_key}
            ],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        config.chmod(0o600)
        return [
            str(self._weed),
            "mini",
            f"-dir={self._root / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in self._ports.items()),
            f"-s3.config={config}",
            f"-s3.localSocket={self._socket_dir / 's3.sock'}",
            f"-filer.localSocket={self._socket_dir / 'filer.sock'}",
            # As on AWS: a PUT into a missing bucket fails instead of creating the bucket.
            "-s3.autoCreateBucket=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",
        ]

    def stray_paths(self) -> list[Path]:
        """Unix sockets SeaweedFS puts in /tmp whatever the flags say, named after its gRPC ports."""
        kinds = ("master", "volume", "filer", "s3", "admin")
        return [Path(f"/tmp/seaweedfs-{kind}-grpc-{port}.sock") for kind in kinds for port in self._ports.values()]


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise StackError("PostgreSQL is not installed: apt-get install postgresql")
    return Path(found[-1]).parent


class Postgres:
    """A throw-away cluster in ``root``: initdb, then the server in the foreground of its own process."""

    def __init__(self, root: Path) -> None:
        self._bin = _pg_bin()
        self._root = root
        self.port = free_ports(1)[0]
        # PostgreSQL refuses to run as root: its processes run as the package's own user then.
        self.user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://spotcheck@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        data, sockets = self._root / "data", self._root / "sockets"
        sockets.mkdir(parents=True)
        if self.user:
            for path in (self._root, sockets):
                shutil.chown(path, self.user)
        initdb = [str(self._bin / "initdb"), "-D", str(data), "-U", "spotcheck", "--auth=trust", "-E", "UTF8"]
        done = subprocess.run(
            initdb, capture_output=True, check=False, cwd=self._root, user=self.user, group=self.user, extra_groups=[]
        )
        if done.returncode != 0:
            raise StackError(f"initdb failed: {done.stderr.decode(errors='replace')[-500:]}")

    def command(self) -> list[str]:
        return [
            str(self._bin / "postgres"),
            "-D",
            str(self._root / "data"),
            "-c",
            "listen_addresses=127.0.0.1",
            "-p",
            str(self.port),
            "-k",
            str(self._root / "sockets"),
        ]
