#!/usr/bin/env python
"""Upload-to-label latency with the jobs table (SPOTCHECK_QUEUE=sql) against Procrastinate, in one run.

    python scripts/bench_queue.py --n 40 --gap 0.3 [--workers 2] [--model PATH]

The scaled set-up, for each queue in turn, on one throw-away PostgreSQL (tests/pg_server.py) on
loopback: ``spotcheck db upgrade``, ``spotcheck serve`` without in-process workers, and ``--workers``
``spotcheck worker`` processes. Uploads ``--n`` lesion JPEGs one at a time, ``--gap`` seconds apart
(so the figure is the queue's latency, not a backlog), each followed by GET /detect every 10 ms
until it is labelled. Prints upload->label p50/p95 per queue, the hardware and the command. With
the table, a worker in another process finds a job at its next poll (every 0.5 s); Procrastinate
wakes it through LISTEN/NOTIFY.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from live_server import LiveServer  # noqa: E402
from pg_server import postgres_server  # noqa: E402
from spotcheck.hardware import cpu_model  # noqa: E402

DEFAULT_IMAGES = ROOT.parent / "shared" / "datasets" / "ham10000-200x150" / "images"
PACKAGED_MODEL = ROOT / "src" / "spotcheck" / "model" / "spotcheck-lesion.onnx"


def _percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def _run(queue: str, database_url: str, *, files: list[Path], gap: float, workers: int, model: Path) -> list[float]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-queue-{queue}-"))
    secret = secrets.token_urlsafe(48)
    env = {
        "SPOTCHECK_DATABASE_URL": database_url,
        "SPOTCHECK_DEPLOYMENT": "shared",
        "SPOTCHECK_QUEUE": queue,
        "SPOTCHECK_WORKER_CONCURRENCY": "0",
    }
    process_env = {
        **os.environ,
        **env,
        "SPOTCHECK_JWT_SECRET": secret,
        "SPOTCHECK_DATA_DIR": str(work / "data"),
        "SPOTCHECK_MODEL_PATH": str(model),
    }
    spotcheck = [sys.executable, "-m", "spotcheck"]
    subprocess.run([*spotcheck, "db", "upgrade"], env=process_env, check=True, capture_output=True)
    logs = [(work / f"worker-{i}.log").open("ab") for i in range(workers)]
    procs = [subprocess.Popen([*spotcheck, "worker"], env=process_env, stdout=log, stderr=log) for log in logs]
    latencies: list[float] = []
    try:
        with (
            LiveServer(data_dir=work / "data", model_path=model, jwt_secret=secret, env=env) as server,
            httpx.Client(base_url=server.url, timeout=30) as client,
        ):
            email = f"bench-{queue}@example.org"
            password = "correct horse battery"
            client.post("/auth/register", json={"email": email, "password": password}).raise_for_status()
            token = client.post("/auth/token", data={"username": email, "password": password}).json()
            auth = {"Authorization": f"Bearer {token['access_token']}"}
            # One warm-up upload: the first classification loads the model's session in each worker.
            for index, path in enumerate([files[0], *files]):
                name = f"{index:04d}.jpg"
                response = client.put(f"/images/{name}", content=path.read_bytes(), headers=auth)
                accepted = time.perf_counter()
                response.raise_for_status()
                deadline = time.monotonic() + 60
                while client.get(f"/detect/{name}", headers=auth).status_code == 202:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{queue}: {name} not labelled within 60 s")
                    time.sleep(0.01)
                if index > 0:
                    latencies.append(time.perf_counter() - accepted)
                time.sleep(gap)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
        for log in logs:
            log.close()
    shutil.rmtree(work, ignore_errors=True)  # kept, with the logs, when the run failed
    return latencies


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help="uploads per queue")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between a label and the next upload")
    parser.add_argument("--workers", type=int, default=2, help="`spotcheck worker` processes")
    parser.add_argument("--model", type=Path, default=PACKAGED_MODEL)
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    args = parser.parse_args(argv)
    files = sorted(args.images.glob("*.jpg"))[: args.n]
    if len(files) < args.n:
        parser.error(f"{args.images} holds {len(files)} JPEGs, fewer than --n {args.n}")
    print("command:  " + shlex.join([sys.executable, *sys.argv]))
    print(f"hardware: {cpu_model()}, {os.cpu_count()} logical cores, {platform.platform()}")
    print(f"load avg at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (other work skews the figures)")
    print(f"model:    {args.model}; {args.workers} worker processes; PostgreSQL on loopback")
    with postgres_server() as database_url:
        for queue in ("sql", "procrastinate"):
            latencies = _run(queue, database_url, files=files, gap=args.gap, workers=args.workers, model=args.model)
            print(
                f"{queue:>13}: upload->label p50 {_percentile(latencies, 50) * 1000:7.1f} ms   "
                f"p95 {_percentile(latencies, 95) * 1000:7.1f} ms   ({len(latencies)} uploads)",
                flush=True,
            )
    print(f"load avg at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
