"""Seconds from `spotcheck serve`'s start to its first `GET /readyz` 200, on a fresh data folder.

    python scripts/bench_ready.py --starts 5
    git worktree add /tmp/before <commit>
    python scripts/bench_ready.py --starts 5 --baseline-src /tmp/before/src   # alternating starts

Polls every 50 ms. The embedded default: with two cores or more, that includes the labelling
process, since `/readyz` waits until it labels. Prints each start and the median, with the CPU.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from spotcheck.hardware import cpu_description
from spotcheck.scaled.services import free_ports

_SRC = Path(__file__).resolve().parents[1] / "src"


def seconds_to_ready(src: Path, *, timeout: float = 120.0) -> float:
    port = free_ports(1)[0]
    with tempfile.TemporaryDirectory(prefix="spotcheck-ready-") as data_dir:
        env = {
            **os.environ,
            "PYTHONPATH": str(src),
            "SPOTCHECK_DATA_DIR": data_dir,
            "SPOTCHECK_JWT_SECRET": secrets.token_urlsafe(48),
        }
        command = [sys.executable, "-m", "spotcheck", "serve", "--host", "127.0.0.1", "--port", str(port)]
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.monotonic() - started < timeout:
                if process.poll() is not None:
                    raise SystemExit(f"the server exited with {process.returncode}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            raise SystemExit(f"not ready after {timeout:.0f} s")
        finally:
            process.terminate()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--baseline-src", type=Path, help="another tree's src/, started in turn with this one")
    args = parser.parse_args(argv)
    if args.starts < 1:
        parser.error("--starts must be at least 1")
    trees = {"this tree": _SRC} | ({"baseline": args.baseline_src} if args.baseline_src else {})
    found: dict[str, list[float]] = {name: [] for name in trees}
    for _ in range(args.starts):
        for name, src in trees.items():
            found[name].append(seconds_to_ready(src))
    print(f"CPU: {cpu_description()}")
    for name, seconds in found.items():
        each = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"{name}: {each} s; median {statistics.median(seconds):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
