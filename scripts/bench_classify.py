"""End-to-end speed of ``spotcheck classify`` with one model file against another, on the same images.

    git show 04ad702:src/spotcheck/model/spotcheck-lesion.onnx > /tmp/old.onnx
    git show 04ad702:src/spotcheck/model/spotcheck-lesion.json > /tmp/old.json
    python scripts/bench_classify.py --baseline /tmp/old.onnx --images 300 --rounds 3

Runs the real command (``spotcheck classify --format jsonl``, start-up, decoding and the photo gate
included) on the same photos, half dermatoscopic and half phone photos from the shared folders,
alternating baseline and candidate each round so both see the same load. Prints each model's
median wall time, images/s and the ratio, with the CPU. Another busy process lowers both alike;
the ratio is the figure to quote.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.hardware import cpu_description

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FOLDERS = ("ham10000-200x150", "pad-ufes-20-partial")


def _photos(datasets: Path, count: int, seed: int) -> list[Path]:
    chosen: list[Path] = []
    for i, folder in enumerate(FOLDERS):
        files = sorted((datasets / folder / "images").glob("*.jpg"))
        share = count // len(FOLDERS) + (1 if i < count % len(FOLDERS) else 0)
        chosen += random.Random(seed).sample(files, min(share, len(files)))
    return chosen


def _classify(model: Path, folder: Path) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "spotcheck", "classify", "--format", "jsonl", "--model", str(model), str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, len(done.stdout.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, required=True, help="the model to compare against (.onnx)")
    parser.add_argument("--model", type=Path, default=None, help="the candidate (default: the shipped model)")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for model in (args.baseline, args.model):
        if model is not None and not model.is_file():
            parser.error(f"no model file {model}")
    if args.images < 1 or args.rounds < 1:
        parser.error("--images and --rounds must be at least 1")
    candidate = args.model or packaged_model_path()
    photos = _photos(args.datasets, args.images, args.seed)
    seconds: dict[str, list[float]] = {"baseline": [], "candidate": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for photo in photos:
            (folder / f"{photo.parent.parent.name}-{photo.name}").symlink_to(photo.resolve())
        for _ in range(args.rounds):
            for name, model in (("baseline", args.baseline), ("candidate", candidate)):
                elapsed, lines = _classify(model, folder)
                if lines != len(photos):
                    raise SystemExit(f"{model} answered {lines} of {len(photos)} photos")
                seconds[name].append(elapsed)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    result = {
        "cpu": cpu_description(),
        "photos": len(photos),
        "rounds": args.rounds,
        "baseline": str(args.baseline),
        "candidate": str(candidate),
        "seconds": seconds,
        "images_per_second": {name: len(photos) / s for name, s in medians.items()},
        "speed_ratio": medians["baseline"] / medians["candidate"],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
