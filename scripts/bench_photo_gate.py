"""Measure the whole photo gate of a model: size, focus and exposure checks and the lesion head.

For each lesion folder (dermatoscopic HAM10000, smartphone PAD-UFES-20): the share of good photos
refused, and of degraded copies (blur, motion blur, darkening, over-exposure; made as in
``bench_photo_gate_quality.py``) refused, by severity; for the ordinary photos of the
non-lesion folder: the share refused, by category. With ``--manifest`` (a run's
``split_manifest.csv``) only its test photos are used, and with ``--negatives-split test`` only the
test split of the ordinary photos (``spotcheck gate`` fitted on the others), so that nothing the
gate was fitted or tuned on is counted. Every photo goes through ``OnnxClassifier.classify``, as an
upload does. Prints a Markdown table; ``--out`` writes JSON.

    PYTHONPATH=src python scripts/bench_photo_gate.py --manifest runs/release-gated/split_manifest.csv
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np
from bench_photo_gate_quality import DATASETS, DEGRADATIONS, LESION_FOLDERS, as_upload, load
from PIL import Image

from spotcheck.classifier.base import Refusal
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.hardware import cpu_description
from spotcheck.training.negatives import negative_splits
from spotcheck.training.splits import read_manifest

Row = dict[str, object]


def _refusals(classifier: OnnxClassifier, images: list[Image.Image]) -> Counter[str]:
    reasons: Counter[str] = Counter()
    for start in range(0, len(images), 16):
        for assessment in classifier.classify(images[start : start + 16]):
            reasons[assessment.reason.value if isinstance(assessment, Refusal) else "answered"] += 1
    return reasons


def _row(folder: str, condition: str, reasons: Counter[str]) -> Row:
    photos = sum(reasons.values())
    refused = photos - reasons["answered"]
    return {
        "folder": folder,
        "condition": condition,
        "photos": photos,
        "refused": refused / photos,
        "reasons": {k: v for k, v in sorted(reasons.items()) if k != "answered"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="ONNX model; default: the shipped one")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--manifest", type=Path, help="use only the test photos of this split manifest")
    parser.add_argument("--negatives-split", choices=["all", "test"], default="test")
    parser.add_argument("--degraded", type=int, default=150, help="photos per folder to degrade")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not args.datasets.is_dir():
        parser.error(f"no data sets folder {args.datasets}")

    classifier = OnnxClassifier(args.model or packaged_model_path())
    split_of = read_manifest(args.manifest) if args.manifest else None
    started = time.perf_counter()
    rows: list[Row] = []
    for folder, name in LESION_FOLDERS.items():
        files = sorted((args.datasets / name / "images").glob("*.jpg"))
        if split_of is not None:
            files = [f for f in files if split_of.get(f.stem) == "test"]
        good = [load(f) for f in files]
        rows.append(_row(folder, "good", _refusals(classifier, good)))
        sample = random.Random(args.seed).sample(good, min(args.degraded, len(good)))
        rng = np.random.default_rng(args.seed)
        for condition, degrade in DEGRADATIONS.items():
            rows.append(_row(folder, condition, _refusals(classifier, [as_upload(degrade(i, rng)) for i in sample])))
    # The split `spotcheck gate` made (its default seed): its test photos were never fitted on.
    splits = negative_splits(args.datasets / "non-lesion-photos", 20261126)
    chosen = splits["test"] if args.negatives_split == "test" else [p for s in splits.values() for p in s]
    by_category: dict[str, list[Image.Image]] = {}
    for path, category in chosen:
        by_category.setdefault(category, []).append(load(path))
    everything: Counter[str] = Counter()
    for category, images in sorted(by_category.items()):
        reasons = _refusals(classifier, images)
        everything += reasons
        rows.append(_row("non-lesion", category, reasons))
    rows.append(_row("non-lesion", "all categories", everything))
    elapsed = time.perf_counter() - started

    print(f"model {classifier.version}; {cpu_description()}; {elapsed:.0f} s")
    print("| folder | condition | photos | refused | reasons |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        listed = ", ".join(f"{k} {v}" for k, v in row["reasons"].items())  # type: ignore[attr-defined]
        print(f"| {row['folder']} | {row['condition']} | {row['photos']} | {row['refused']:.1%} | {listed} |")
    if args.out:
        document = {"model": classifier.version, "cpu": cpu_description(), "rows": rows, "args": vars(args)}
        args.out.write_text(json.dumps(document, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
