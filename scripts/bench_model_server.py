"""Photos per second classified in process against through ``spotcheck model-server``, at 1 and 8
concurrent callers, in the same run.

    python scripts/bench_model_server.py --images 200 --rounds 3

Each caller classifies one photo per call, from its encoded bytes (JPEG from the shared
HAM10000 folder) to its assessment: in process, ``prepare_photo`` and ``OnnxClassifier.assess``
on one shared model; through the server, one OIP v2 infer request (base64 JSON) per photo, on a
keep-alive connection per caller. The model server runs as a real process on loopback, on the same
CPU, so it competes with the benchmark's own callers, as a server on the same host would. Rounds
alternate the modes so that both see the same load; prints the medians, the ratios and the CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2

from spotcheck.classifier.oip import MODEL_NAME, assessments_from_response, infer_request
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.hardware import cpu_description
from spotcheck.scaled.services import free_ports
from spotcheck.serving.photos import prepare_photo

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
CALLERS = (1, 8)


def _start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "spotcheck", "model-server", "--host", "127.0.0.1", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPOTCHECK_")}
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the model server exited:\n{log.read_text()}")
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1).status_code == 200:
                return process
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the model server was not ready after 120 s:\n{log.read_text()}")


def _in_process(classifier: OnnxClassifier, photos: list[bytes], callers: int) -> float:
    def one(photo: bytes) -> None:
        classifier.assess([prepare_photo(photo, classifier)])

    started = time.perf_counter()
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(one, photos))
    return len(photos) / (time.perf_counter() - started)


def _through_server(url: str, photos: list[bytes], callers: int) -> float:
    shares = [photos[i::callers] for i in range(callers)]

    def caller(share: list[bytes]) -> None:
        with httpx2.Client(timeout=120) as client:
            for photo in share:
                answer = client.post(f"{url}/v2/models/{MODEL_NAME}/infer", json=infer_request([photo]))
                answer.raise_for_status()
                assessments_from_response(answer.json(), 1)

    started = time.perf_counter()
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(caller, shares))
    return len(photos) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    folder = args.datasets / "ham10000-200x150" / "images"
    if not folder.is_dir():
        parser.error(f"no photo folder {folder}")
    if args.images < 1 or args.rounds < 1:
        parser.error("--images and --rounds must be at least 1")
    photos = [path.read_bytes() for path in sorted(folder.glob("*.jpg"))[: args.images]]
    classifier = OnnxClassifier(packaged_model_path())
    rates: dict[tuple[str, int], list[float]] = {}
    port = free_ports(1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        server = _start_server(port, Path(tmp) / "model-server.log")
        try:
            url = f"http://127.0.0.1:{port}"
            _through_server(url, photos[:8], 1)  # warm both paths up
            _in_process(classifier, photos[:8], 1)
            for _ in range(args.rounds):
                for callers in CALLERS:
                    rates.setdefault(("in process", callers), []).append(_in_process(classifier, photos, callers))
                    rates.setdefault(("model server", callers), []).append(_through_server(url, photos, callers))
        finally:
            server.terminate()
            server.wait(30)
    print(f"{len(photos)} photos, {args.rounds} rounds, median photos/s; CPU: {cpu_description()}")
    for callers in CALLERS:
        local = statistics.median(rates[("in process", callers)])
        remote = statistics.median(rates[("model server", callers)])
        print(
            f"{callers} caller{'s' if callers > 1 else ''}: in process {local:.1f}, "
            f"model server {remote:.1f} ({remote / local:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
