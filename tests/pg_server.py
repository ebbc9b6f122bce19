"""A throw-away PostgreSQL server on a free loopback port, from Debian's postgresql package."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from live_server import free_port

__all__ = ["freeze", "postgres_server", "thaw"]

_DATA_DIRS: dict[str, Path] = {}  # URL -> data folder of each running server


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (scripts/test.sh does this)")
    return Path(found[-1]).parent


def _as_postgres_user() -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so drop to the package's own user.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh database; the server and its files are gone afterwards."""
    bin_dir = _pg_bin()
    prefix = _as_postgres_user()
    root = Path(tempfile.mkdtemp(prefix="spotcheck-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if prefix:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "spotcheck", "--auth=trust", "-E", "UTF8"],
            **run,  # type: ignore[call-overload]
        )
        subprocess.run(
            [
                *prefix,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-w",
                "-t",
                "30",
                "-l",
                str(root / "server.log"),
                "-o",
                f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off",
                "start",
            ],
            **run,  # type: ignore[call-overload]
        )
        url = f"postgresql+psycopg://spotcheck@127.0.0.1:{port}/postgres"
        _wait_until_ready(url)
        _DATA_DIRS[url] = data
        yield url
    finally:
        _DATA_DIRS.pop(url, None)
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(url: str, timeout: float = 20.0) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()


def _server_processes(url: str) -> list[int]:
    import psutil

    postmaster = int((_DATA_DIRS[url] / "postmaster.pid").read_text().split()[0])
    return [postmaster, *(child.pid for child in psutil.Process(postmaster).children(recursive=True))]


def freeze(url: str) -> None:
    """SIGSTOP the server and every backend: connections stay open and nothing answers, as in a hung host."""
    for pid in _server_processes(url):
        os.kill(pid, signal.SIGSTOP)


def thaw(url: str) -> None:
    for pid in _server_processes(url):
        os.kill(pid, signal.SIGCONT)
