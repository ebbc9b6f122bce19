#!/usr/bin/env python
"""CPU a photo of the shipped model's pass, by how a process lays out its passes.

    python scripts/bench_model_threads.py [--photos 64] [--rounds 3]

A `spotcheck worker` process (a server's labelling process too) runs its worker threads' passes
side by side; ``runtime.model_threads`` gives each pass its share of the cores. This prints, for one
or two callers at once and batches of 1 and 4 photos, the wall time and the CPU time (this process's,
user + system) a photo takes with ONNX Runtime's threads a pass at 1 and at every core, without
spinning, as the service runs them; the median of ``--rounds``. Real PAD-UFES-20 photos, prepared as
the service prepares them. Other work on the machine skews the wall times more than the CPU times.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import threading
import time
from pathlib import Path

import numpy as np

from spotcheck.classifier.base import Refusal
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.hardware import cpu_description, usable_cores
from spotcheck.images.decode import decode_for_model

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = ROOT.parent / "shared" / "datasets" / "pad-ufes-20-partial" / "images"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _prepared(classifier: OnnxClassifier, folder: Path, count: int) -> np.ndarray:
    pixels = []
    for path in sorted(folder.glob("*.jpg")):
        prepared = classifier.prepare(decode_for_model(path, at_least=classifier.decode_size))
        if not isinstance(prepared, Refusal):
            pixels.append(prepared)
        if len(pixels) == count:
            break
    return np.stack(pixels)


def _measure(classifier: OnnxClassifier, pixels: np.ndarray, *, callers: int, batch: int) -> tuple[float, float]:
    """(wall, CPU) milliseconds a photo, every caller passing all of ``pixels`` in batches of ``batch``."""

    def passes() -> None:
        for start in range(0, len(pixels), batch):
            classifier.judge(pixels[start : start + batch])

    threads = [threading.Thread(target=passes) for _ in range(callers)]
    cpu, wall = _cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    photos = callers * len(pixels)
    return 1000 * (time.perf_counter() - wall) / photos, 1000 * (_cpu_seconds() - cpu) / photos


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    args = parser.parse_args()
    cores = usable_cores()
    print(f"hardware: {cpu_description()}, {cores} usable; load average {os.getloadavg()[0]:.2f}")
    print(f"{'threads a pass':>14}  {'callers':>7}  {'batch':>5}  {'wall ms a photo':>15}  {'CPU ms a photo':>14}")
    for threads in sorted({1, cores}):
        classifier = OnnxClassifier(packaged_model_path(), threads=threads, spin=False)
        pixels = _prepared(classifier, args.images, args.photos)
        classifier.judge(pixels[:4])  # the first pass allocates
        for callers in (1, 2):
            for batch in (1, 4):
                timings = [_measure(classifier, pixels, callers=callers, batch=batch) for _ in range(args.rounds)]
                wall = statistics.median(t[0] for t in timings)
                cpu = statistics.median(t[1] for t in timings)
                print(f"{threads:>14}  {callers:>7}  {batch:>5}  {wall:>15.2f}  {cpu:>14.2f}")


if __name__ == "__main__":
    main()
