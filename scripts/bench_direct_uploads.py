#!/usr/bin/env python
"""Upload->label latency on the scaled stack (Procrastinate): direct uploads (POST /uploads + bucket events)
against PUT /images.

    python scripts/bench_direct_uploads.py --n 40 [--images DIR]

Starts the scaled stack (``python -m spotcheck.scaled``, as ``scripts/serve-scaled.sh`` does) on
a free port, registers a user, then sends ``--n`` lesion JPEGs one at a time by each path and
times each from the first byte sent until GET /detect answers 200. Prints p50/p95/max per path,
the hardware and the command. The stack uses the packaged model and is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import select
import shlex
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from spotcheck.hardware import cpu_model
from spotcheck.scaled.services import free_ports

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = ROOT.parent / "shared" / "datasets" / "ham10000-200x150" / "images"
READY_TIMEOUT = 180.0
LABEL_TIMEOUT = 60.0


def _start_stack() -> tuple[subprocess.Popen[str], dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    stack = subprocess.Popen(
        [sys.executable, "-m", "spotcheck.scaled", "--port", str(free_ports(1)[0])],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert stack.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and stack.poll() is None:
        if select.select([stack.stdout], [], [], 1.0)[0]:
            line = stack.stdout.readline()
            if line.startswith("READY "):
                return stack, json.loads(line.removeprefix("READY "))
    stack.terminate()
    raise SystemExit("the scaled stack did not print READY")


def _until_labelled(client: httpx.Client, auth: dict[str, str], name: str) -> None:
    deadline = time.monotonic() + LABEL_TIMEOUT
    while time.monotonic() < deadline:
        if client.get(f"/detect/{name}", headers=auth).status_code == 200:
            return
        time.sleep(0.02)
    raise SystemExit(f"{name} was not labelled within {LABEL_TIMEOUT:g} s")


def _direct(client: httpx.Client, auth: dict[str, str], name: str, body: bytes) -> float:
    start = time.perf_counter()
    form = client.post("/uploads", json={"fileName": name}, headers=auth).json()
    sent = httpx.post(form["uploadUrl"], data=form["fields"], files={"file": (name, body)}, timeout=30)
    sent.raise_for_status()
    _until_labelled(client, auth, name)
    return time.perf_counter() - start


def _through_api(client: httpx.Client, auth: dict[str, str], name: str, body: bytes) -> float:
    start = time.perf_counter()
    client.put(f"/images/{name}", content=body, headers=auth).raise_for_status()
    _until_labelled(client, auth, name)
    return time.perf_counter() - start


def _summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label:<28} n={len(ordered):<4} p50 {statistics.median(ordered) * 1000:7.0f} ms   "
        f"p95 {p95 * 1000:7.0f} ms   max {ordered[-1] * 1000:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    args = parser.parse_args()
    photos = sorted(args.images.glob("*.jpg"))[: args.n]
    if not photos:
        raise SystemExit(f"no *.jpg in {args.images}")
    stack, ready = _start_stack()
    try:
        with httpx.Client(base_url=str(ready["api"]), timeout=30) as client:
            password = secrets.token_urlsafe(24)
            client.post("/auth/register", json={"email": "bench@example.org", "password": password})
            token = client.post("/auth/token", data={"username": "bench@example.org", "password": password})
            token.raise_for_status()
            auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
            direct = [_direct(client, auth, f"direct-{p.name}", p.read_bytes()) for p in photos]
            api = [_through_api(client, auth, f"api-{p.name}", p.read_bytes()) for p in photos]
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(60)
    queue = ready.get("queue", "?")
    print(_summary(f"direct upload -> label ({queue})", direct))
    print(_summary(f"PUT /images -> label ({queue})", api))
    print(f"hardware: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"command: {shlex.join([Path(sys.executable).name, *sys.argv])}")


if __name__ == "__main__":
    main()
