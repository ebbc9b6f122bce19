"""The scaled stack on one machine: every part SpotCheck runs as at scale, on 127.0.0.1, in the foreground.

SeaweedFS (S3 API, its filer's metadata stream as the bucket events), PostgreSQL, `spotcheck serve`
without in-process workers, two `spotcheck worker` processes and `spotcheck events`. Once all are up
it prints one line ``READY {json}``; SIGTERM or Ctrl-C stops everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from spotcheck.ingest.seaweedfs import WeedNotFoundError, weed_binary
from spotcheck.scaled.services import Postgres, S3Credentials, SeaweedFS, StackError, wait_until

__all__ = ["Stack", "main"]

WORKERS = 2
BUCKET = "spotcheck"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass
class Stack:
    root: Path
    port: int
    queue: str = "procrastinate"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    leftovers: list[Path] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def _spawn(
        self, name: str, command: list[str], env: dict[str, str] | None = None, *, user: str | None = None
    ) -> subprocess.Popen[bytes]:
        log = (self.root / "logs" / f"{name}.log").open("ab")
        with log:
            # Each in a session of its own: a terminal's Ctrl-C reaches only this script, which stops them in order.
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                user=user,
                group=user,
                extra_groups=[] if user else None,
                cwd="/" if user else None,
            )
        self.processes[name] = process
        return process

    def _log_says(self, name: str, text: str) -> bool:
        return text in (self.root / "logs" / f"{name}.log").read_text(errors="replace")

    def _metrics_url(self, name: str) -> str | None:
        """The metrics address a worker printed at start (``metrics on http://...``), if any."""
        for line in (self.root / "logs" / f"{name}.log").read_text(errors="replace").splitlines():
            if line.startswith("metrics on "):
                return line.removeprefix("metrics on ").strip()
        return None

    def start(self) -> dict[str, Any]:
        (self.root / "logs").mkdir(parents=True)
        # PostgreSQL runs as its own user when we are root: it must pass through (not list) our folder.
        self.root.chmod(0o711)
        credentials = S3Credentials("spotcheck-" + secrets.token_hex(4), secrets.token_urlsafe(30))
        try:
            weed = weed_binary()
        except WeedNotFoundError as error:
            raise StackError(str(error)) from None
        seaweed = SeaweedFS(weed=weed, root=self.root / "seaweedfs", credentials=credentials)
        store = self._spawn("seaweedfs", seaweed.command(), {**os.environ, "TMPDIR": str(self.root)})
        self.leftovers.extend(seaweed.stray_paths())
        postgres = Postgres(self.root / "postgres")
        postgres.init()
        database = self._spawn("postgres", postgres.command(), user=postgres.user)
        wait_until(
            lambda: _s3_answers(seaweed.s3_url, credentials), what="SeaweedFS", process=store, timeout=START_TIMEOUT
        )
        wait_until(lambda: _pg_answers(postgres.url), what="PostgreSQL", process=database, timeout=START_TIMEOUT)

        env = {
            **os.environ,
            "SPOTCHECK_DATA_DIR": str(self.root / "spotcheck"),
            "SPOTCHECK_DATABASE_URL": postgres.url,
            "SPOTCHECK_STORAGE_BACKEND": "s3",
            "SPOTCHECK_S3_ENDPOINT_URL": seaweed.s3_url,
            "SPOTCHECK_S3_BUCKET": BUCKET,
            "SPOTCHECK_S3_ACCESS_KEY_ID": credentials.access_key_id,
            "SPOTCHECK_S3_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "SPOTCHECK_S3_CREATE_BUCKET": "true",
            # Every process must sign and check tokens with one secret.
            "SPOTCHECK_JWT_SECRET": secrets.token_urlsafe(48),
            "SPOTCHECK_WORKER_CONCURRENCY": "0",
            "SPOTCHECK_DEPLOYMENT": "shared",
            "SPOTCHECK_QUEUE": self.queue,
        }
        spotcheck = [sys.executable, "-m", "spotcheck"]
        upgrade = subprocess.run([*spotcheck, "db", "upgrade"], env=env, capture_output=True, check=False)
        if upgrade.returncode != 0:
            raise StackError(f"spotcheck db upgrade failed: {upgrade.stderr.decode(errors='replace')[-800:]}")
        api = self._spawn("api", [*spotcheck, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env)
        api_url = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: _http_ok(f"{api_url}/healthz"), what="spotcheck serve", process=api, timeout=START_TIMEOUT)
        for i in range(1, WORKERS + 1):
            # Each worker counts its own labels and latencies: a metrics port of its own (any free one).
            self._spawn(f"worker-{i}", [*spotcheck, "worker", "--metrics-port", "0"], env)
        events = self._spawn(
            "events", [*spotcheck, "events", "--filer", seaweed.filer, "--reconcile-seconds", "60"], env
        )
        for i in range(1, WORKERS + 1):
            name = f"worker-{i}"
            wait_until(
                lambda name=name: self._log_says(name, "SpotCheck worker"),  # type: ignore[misc]
                what=name,
                process=self.processes[name],
                timeout=START_TIMEOUT,
            )
        wait_until(
            lambda: self._log_says("events", "SpotCheck events consumer"),
            what="events",
            process=events,
            timeout=START_TIMEOUT,
        )
        workers = [self.processes[f"worker-{i}"].pid for i in range(1, WORKERS + 1)]
        worker_metrics = [self._metrics_url(f"worker-{i}") for i in range(1, WORKERS + 1)]
        return {
            "api": api_url,
            "s3": {
                "endpoint": seaweed.s3_url,
                "bucket": BUCKET,
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
            },
            "workers": workers,
            "queue": self.queue,
            "services": {name: p.pid for name, p in self.processes.items() if not name.startswith("worker-")},
            "metrics": {"api": f"{api_url}/metrics", "workers": worker_metrics},
            "logs": str(self.root / "logs"),
        }

    def watch(self) -> None:
        """Until stopped: say so when a process exits by itself (the rest keeps running)."""
        reported: set[str] = set()
        while not self.stopping.wait(1.0):
            for name, process in self.processes.items():
                if name not in reported and process.poll() is not None:
                    reported.add(name)
                    print(
                        f"spotcheck-scaled: {name} (pid {process.pid}) exited with {process.returncode}",
                        file=sys.stderr,
                    )

    def stop(self) -> None:
        """The API and consumers first, the stores last; SIGKILL what does not stop in time."""
        self.stopping.set()
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                # postgres: SIGINT is its "fast" shutdown; everything else stops on SIGTERM.
                process.send_signal(signal.SIGINT if name == "postgres" else signal.SIGTERM)
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for path in self.leftovers:
            path.unlink(missing_ok=True)


def _s3_answers(url: str, credentials: S3Credentials) -> bool:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=2),
    )
    try:
        client.list_buckets()
        return True
    except (BotoCoreError, ClientError):
        return False


def _pg_answers(url: str) -> bool:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="serve-scaled.sh", description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="the API's port on 127.0.0.1 (default 8000)")
    parser.add_argument(
        "--queue",
        choices=("procrastinate", "sql"),
        default="procrastinate",
        help="where jobs run: Procrastinate on the PostgreSQL (default) or SpotCheck's jobs table",
    )
    args = parser.parse_args(argv)
    stack = Stack(root=Path(tempfile.mkdtemp(prefix="spotcheck-scaled-")), port=args.port, queue=args.queue)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        ready = stack.start()
        print("READY " + json.dumps(ready), flush=True)
        stack.watch()
    except KeyboardInterrupt:
        pass
    except StackError as error:
        print(f"spotcheck-scaled: {error} (logs in {stack.root / 'logs'})", file=sys.stderr)
        return 1
    finally:
        # A second SIGTERM or Ctrl-C must not cut the shutdown short: the children run in sessions
        # of their own and would be left running, with the temporary folder.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        stack.stop()
        shutil.rmtree(stack.root, ignore_errors=True)
    return 0
