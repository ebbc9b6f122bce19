#!/usr/bin/env python
"""Peak memory of a real ``spotcheck serve`` while 12 clients upload ~40 MP images at once.

    python scripts/bench_upload_memory.py [--uploads 12] [--side 6300] [--decodes 2]
    python scripts/bench_upload_memory.py --case export [--photos 30] [--exports 4]
    python scripts/bench_upload_memory.py --case waiting [--uploads 40] [--body-mb 14]

``--case export`` measures instead ``--exports`` concurrent ``GET /account/export`` of an account
holding ``--photos`` large photos (4000 x 3000 noise JPEGs, each a few MB once stored), read to
the end by each client; the photos are uploaded before the baseline is taken. ``--case waiting``
sends ``--uploads`` parallel PUTs of a noise PNG of about ``--body-mb`` MB that does not compress:
the bodies that wait for a decode slot, and those turned away (503) before they are read.

Starts the server on a free 127.0.0.1 port with a throw-away data directory and
``SPOTCHECK_MAX_CONCURRENT_DECODES=--decodes``, registers a user, sends ``--uploads`` parallel
PUTs of a highly compressible ``--side`` x ``--side`` RGB PNG (6300 x 6300 is 39.7 MP, just under
the 40 MP default limit, and about 0.2 MB on the wire), and samples the server's resident set
size (VmRSS, and the kernel's VmHWM high-water mark) every 10 ms. Prints the baseline, the peak,
the statuses and the time taken. A benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import psutil
from PIL import Image

from spotcheck.scaled.services import free_ports

ROOT = Path(__file__).resolve().parents[1]


def _big_png(side: int) -> bytes:
    """A gradient with a few stripes: compresses to a few hundred KB, decodes to ``side``² pixels."""
    image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=9)
    return out.getvalue()


def _noise_png(megabytes: float) -> bytes:
    """Random RGB pixels as a PNG: it does not compress, so the body is about ``megabytes`` MB."""
    height = 1000
    width = max(1, int(megabytes * 1e6 / (3 * height)))
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _large_photo(seed: int) -> bytes:
    """A 4000 x 3000 JPEG of coarse noise: a few MB, like a phone's photo, before and after re-encoding."""
    pixels = np.random.default_rng(seed).integers(0, 256, (750, 1000, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).resize((4000, 3000), Image.Resampling.BICUBIC).save(out, format="JPEG", quality=90)
    return out.getvalue()


def _high_water_mark(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=12)
    parser.add_argument("--side", type=int, default=6300)
    parser.add_argument("--decodes", type=int, default=2, help="SPOTCHECK_MAX_CONCURRENT_DECODES")
    parser.add_argument("--model", type=Path, help="ONNX model; default: the packaged one")
    parser.add_argument("--case", choices=("uploads", "export", "waiting"), default="uploads")
    parser.add_argument("--body-mb", type=float, default=14.0, help="--case waiting: size of each upload")
    parser.add_argument("--photos", type=int, default=30, help="--case export: photos in the account")
    parser.add_argument("--exports", type=int, default=4, help="--case export: exports at once")
    args = parser.parse_args(argv)
    if args.uploads < 1 or args.decodes < 1 or args.photos < 1 or args.exports < 1:
        parser.error("--uploads, --decodes, --photos and --exports must be at least 1")

    body = _noise_png(args.body_mb) if args.case == "waiting" else _big_png(args.side)
    port = free_ports(1)[0]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="spotcheck-bench-") as data_dir:
        env = {
            **os.environ,
            "SPOTCHECK_DATA_DIR": data_dir,
            "SPOTCHECK_JWT_SECRET": secrets.token_urlsafe(48),
            "SPOTCHECK_MAX_CONCURRENT_DECODES": str(args.decodes),
        }
        if args.model:
            env["SPOTCHECK_MODEL_PATH"] = str(args.model)
        command = [sys.executable, "-m", "spotcheck", "serve", "--host", "127.0.0.1", "--port", str(port)]
        log = Path(data_dir) / "server.log"
        with log.open("wb") as log_file:
            server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"server did not start:\n{log.read_text()}")
                time.sleep(0.1)
            with httpx.Client(base_url=url, timeout=120) as client:
                credentials = {"email": "bench@example.org", "password": "a long and varied pass phrase"}
                client.post("/auth/register", json=credentials).raise_for_status()
                token = client.post(
                    "/auth/token", data={"username": credentials["email"], "password": credentials["password"]}
                ).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "image/png"}
                if args.case == "export":
                    for number in range(args.photos):
                        photo = _large_photo(number)
                        client.put(f"/images/photo-{number}.jpg", content=photo, headers=headers).raise_for_status()
                process = psutil.Process(server.pid)
                baseline = process.memory_info().rss
                peak, done = baseline, threading.Event()

                def sample() -> None:
                    nonlocal peak
                    while not done.is_set():
                        peak = max(peak, process.memory_info().rss)
                        time.sleep(0.01)

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                started = time.perf_counter()

                def upload(number: int) -> int:
                    return client.put(f"/images/big-{number}.png", content=body, headers=headers).status_code

                def export(_number: int) -> int:
                    with client.stream("GET", "/account/export", headers=headers) as response:
                        for _chunk in response.iter_bytes():
                            pass
                        return response.status_code

                if args.case == "export":
                    with ThreadPoolExecutor(args.exports) as pool:
                        statuses = list(pool.map(export, range(args.exports)))
                else:
                    with ThreadPoolExecutor(args.uploads) as pool:
                        statuses = list(pool.map(upload, range(args.uploads)))
                elapsed = time.perf_counter() - started
                time.sleep(1.0)  # let the workers classify what was stored
                done.set()
                sampler.join()
                high_water = _high_water_mark(server.pid)
                after = process.memory_info().rss
        finally:
            server.terminate()
            server.wait(20)
        tracebacks = log.read_text().count("Traceback")

    mib = 1024 * 1024
    if args.case == "export":
        print(f"exports:           {args.exports} at once, of an account with {args.photos} 4000x3000 photos")
    else:
        kind = "noise PNG" if args.case == "waiting" else f"{args.side}x{args.side} PNG"
        size = f"{kind} ({len(body) / 1e6:.2f} MB)"
        print(f"uploads:           {args.uploads} parallel PUTs of a {size}")
        print(f"decodes at once:   {args.decodes}")
    print(f"statuses:          {sorted(statuses)}  in {elapsed:.1f} s")
    print(f"server RSS:        baseline {baseline / mib:.0f} MiB, peak {peak / mib:.0f} MiB (sampled every 10 ms)")
    print(f"                   growth {(peak - baseline) / mib:.0f} MiB")
    print(f"                   high-water mark {high_water / mib:.0f} MiB (VmHWM), 1 s after {after / mib:.0f} MiB")
    print(f"tracebacks in log: {tracebacks}")
    print(f"command:           {shlex.join([sys.executable, *sys.argv])}")


if __name__ == "__main__":
    main()
