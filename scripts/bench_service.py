#!/usr/bin/env python
"""Benchmark a real ``spotcheck serve`` (embedded default: SQLite + local disk) on loopback.

    python scripts/bench_service.py --n 200 --concurrency 4 [--model PATH] [--workers 1]

Starts the server on a free 127.0.0.1 port with a throw-away data directory, registers a user,
uploads ``--n`` lesion JPEGs from the HAM10000 sample with ``--concurrency`` client threads while
one poller watches GET /detect, then hammers GET /detect on the labelled images. Prints
upload->label latency p50/p95/p99, sustained uploads/s and labels/s, GET /detect latency
p50/p95/p99 and requests/s, the hardware and the command. Every loop is bounded; the server is
stopped at the end. Uses the packaged model unless ``--model`` is given: the figures that matter
are with the real model (the tiny test model only measures the service around it).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from spotcheck.hardware import cpu_model

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = ROOT.parent / "shared" / "datasets" / "ham10000-200x150" / "images"
PACKAGED_MODEL = ROOT / "src" / "spotcheck" / "model" / "spotcheck-lesion.onnx"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]

    return f"p50 {rank(50) * 1000:8.1f} ms   p95 {rank(95) * 1000:8.1f} ms   p99 {rank(99) * 1000:8.1f} ms"


@contextmanager
def running_server(model: Path, workers: int, log_path: Path) -> Iterator[str]:
    port = _free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="spotcheck-bench-"))
    env = {
        **os.environ,
        "SPOTCHECK_DATA_DIR": str(data_dir),
        "SPOTCHECK_MODEL_PATH": str(model),
        "SPOTCHECK_JWT_SECRET": secrets.token_urlsafe(48),
        "SPOTCHECK_WORKER_CONCURRENCY": str(workers),
    }
    command = [sys.executable, "-m", "spotcheck", "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server exited with {process.returncode}; see {log_path}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server not ready after 120 s; see {log_path}")
            time.sleep(0.2)
        print(f"server: {url} (data in {data_dir}, log {log_path})", flush=True)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(data_dir, ignore_errors=True)


@dataclass
class UploadRun:
    started: dict[str, float] = field(default_factory=dict)
    accepted: dict[str, float] = field(default_factory=dict)
    labelled: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _sign_in(client: httpx.Client) -> dict[str, str]:
    email, password = f"bench-{secrets.token_hex(4)}@example.org", "bench pass phrase " + secrets.token_hex(4)
    client.post("/auth/register", json={"email": email, "password": password}).raise_for_status()
    token = client.post("/auth/token", data={"username": email, "password": password})
    token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _upload_phase(url: str, auth: dict[str, str], files: list[Path], concurrency: int, timeout: float) -> UploadRun:
    run = UploadRun()
    done_uploading = threading.Event()

    def upload(index_path: tuple[int, Path]) -> None:
        index, path = index_path
        name = f"bench-{index:05d}.jpg"
        body = path.read_bytes()
        with httpx.Client(base_url=url, timeout=60) as client:
            start = time.perf_counter()
            with run.lock:
                run.started[name] = start
            response = client.put(f"/images/{name}", content=body, headers=auth)
            with run.lock:
                if response.status_code == 202:
                    run.accepted[name] = time.perf_counter()
                else:
                    run.errors.append(f"PUT {name}: {response.status_code} {response.text[:200]}")

    def poll() -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=url, timeout=30) as client:
            while time.monotonic() < deadline:
                with run.lock:
                    waiting = [n for n in run.accepted if n not in run.labelled]
                if not waiting and done_uploading.is_set():
                    return
                for name in waiting:
                    response = client.get(f"/detect/{name}", headers=auth)
                    if response.status_code == 200:
                        with run.lock:
                            run.labelled[name] = time.perf_counter()
                    elif response.status_code != 202:
                        with run.lock:
                            run.errors.append(f"GET /detect/{name}: {response.status_code}")
                            run.labelled[name] = float("nan")
                time.sleep(0.01)
        run.errors.append(f"gave up waiting for labels after {timeout:.0f} s")

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(upload, enumerate(files)))
    done_uploading.set()
    poller.join(timeout + 5)
    return run


def _detect_phase(
    url: str, auth: dict[str, str], names: list[str], requests: int, concurrency: int
) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    per_thread = max(1, requests // concurrency)

    def hammer(offset: int) -> None:
        nonlocal failures
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=url, timeout=30) as client:
            for i in range(per_thread):
                name = names[(offset + i) % len(names)]
                start = time.perf_counter()
                response = client.get(f"/detect/{name}", headers=auth)
                mine.append(time.perf_counter() - start)
                bad += response.status_code != 200
        with lock:
            latencies.extend(mine)
            failures += bad

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(hammer, range(concurrency)))
    return latencies, time.perf_counter() - started, failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="uploads (default 200)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--workers", type=int, default=1, help="SPOTCHECK_WORKER_CONCURRENCY (default 1)")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default: the packaged one)")
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES, help="folder of lesion JPEGs")
    parser.add_argument("--detect-requests", type=int, default=2000, help="GET /detect requests (default 2000)")
    parser.add_argument("--timeout", type=float, default=600, help="longest wait for all labels, seconds")
    args = parser.parse_args(argv)

    model = args.model or PACKAGED_MODEL
    if not model.is_file():
        parser.error(f"no model at {model}; pass --model PATH (e.g. the tiny test model from tests/tiny_model.py)")
    files = sorted(args.images.glob("*.jpg"))[: args.n]
    if len(files) < args.n:
        parser.error(f"only {len(files)} JPEGs in {args.images}; need {args.n}")

    print("command:  " + shlex.join([sys.executable, *sys.argv]))
    print(f"hardware: {cpu_model()}, {os.cpu_count()} logical cores, {platform.platform()}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"load avg at start: {load}  (other work on the machine skews the figures)")
    print(f"model:    {model}")
    log_path = Path(tempfile.gettempdir()) / f"spotcheck-bench-{os.getpid()}.log"
    with running_server(model, args.workers, log_path) as url:
        with httpx.Client(base_url=url, timeout=30) as client:
            auth = _sign_in(client)
        run_started = time.perf_counter()
        run = _upload_phase(url, auth, files, args.concurrency, args.timeout)
        accepted = sorted(run.accepted.values())
        upload_wall = (accepted[-1] - run_started) if accepted else float("nan")
        latencies = [run.labelled[n] - run.started[n] for n in run.labelled if run.labelled[n] == run.labelled[n]]
        label_wall = (max(run.labelled.values()) - run_started) if run.labelled else float("nan")
        names = [n for n in run.labelled if run.labelled[n] == run.labelled[n]]

        print()
        print(
            f"uploads:  {len(run.accepted)}/{args.n} accepted with {args.concurrency} client threads, "
            f"{args.workers} worker thread(s)"
        )
        print(f"  sustained uploads/s (202s):  {len(accepted) / upload_wall:8.1f}")
        print(f"  labels/s (end to end):        {len(names) / label_wall:8.1f}")
        print(f"  upload->label latency:        {_percentiles(latencies)}   (poll period ~10 ms + one sweep)")
        if names:
            detect, wall, failures = _detect_phase(url, auth, names, args.detect_requests, args.concurrency)
            print(f"GET /detect: {len(detect)} requests, {args.concurrency} threads, {failures} non-200")
            print(f"  requests/s:                   {len(detect) / wall:8.1f}")
            print(f"  latency:                      {_percentiles(detect)}")
        for error in run.errors[:10]:
            print(f"error: {error}")
    return 1 if run.errors or len(names) < args.n else 0


if __name__ == "__main__":
    raise SystemExit(main())
