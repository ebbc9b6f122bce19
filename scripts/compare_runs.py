"""Validation ROC AUC of training runs alone and of every same-input-size pair, with 1 and 4 views.

    python scripts/compare_runs.py runs/release runs/release-ema runs/gpu-release

What to read before choosing the members and views of `spotcheck ensemble`: it scores each run's
best checkpoint (PyTorch, fp32, CPU) on the validation images of its split manifest, alone and
averaged with each other run of the same input size, as `spotcheck ensemble` would combine them.
Test images are never loaded. Scores are uncalibrated (temperature 1); ROC AUC barely moves with
the temperature. All runs must share one split manifest.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from spotcheck.classifier.labels import MALIGNANT_DIAGNOSES, MALIGNANT_INDICES
from spotcheck.training.calibration import malignant_probability
from spotcheck.training.config import TrainConfig
from spotcheck.training.dataset import LesionImage, load_images, load_records
from spotcheck.training.network import FlipAveraged, load_network
from spotcheck.training.splits import manifest_sha256, read_manifest
from spotcheck.training.trainer import predict_logits

VIEWS = (1, 4)


def _validation_records(runs: list[Path]) -> list[LesionImage]:
    manifests = {manifest_sha256(run / "split_manifest.csv") for run in runs}
    if len(manifests) != 1:
        raise SystemExit("the runs were trained on different split manifests; they cannot be compared")
    config = TrainConfig.of_run(runs[0])
    split_of = read_manifest(runs[0] / "split_manifest.csv")
    return [r for r in load_records(config.data_dir) if split_of.get(r.image_id) == "val"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="training run folders on one split")
    args = parser.parse_args(argv)
    runs: list[Path] = args.runs

    records = _validation_records(runs)
    is_malignant = np.array([r.dx in MALIGNANT_DIAGNOSES for r in records], dtype=np.int64)
    pixels_by_size: dict[tuple[int, int], np.ndarray] = {}
    size_of: dict[Path, tuple[int, int]] = {}
    logits: dict[tuple[Path, int], np.ndarray] = {}
    for run in runs:
        config = TrainConfig.of_run(run)
        spec = config.input_spec
        size_of[run] = (spec.height, spec.width)
        if size_of[run] not in pixels_by_size:
            pixels_by_size[size_of[run]] = load_images(records, spec)
        network = load_network(run)
        for views in VIEWS:
            scorer = FlipAveraged(network, views)
            logits[run, views] = predict_logits(scorer, pixels_by_size[size_of[run]], spec, torch.device("cpu"))

    def auc(mean_logits: np.ndarray) -> float:
        return float(roc_auc_score(is_malignant, malignant_probability(mean_logits, 1.0, MALIGNANT_INDICES)))

    print(f"{len(records)} validation images, {int(is_malignant.sum())} malignant")
    for views in VIEWS:
        for run in runs:
            print(f"views={views}  {run.name}: {auc(logits[run, views]):.4f}")
        for first, second in itertools.combinations(runs, 2):
            if size_of[first] == size_of[second]:
                pair = (logits[first, views] + logits[second, views]) / 2
                print(f"views={views}  {first.name} + {second.name}: {auc(pair):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
