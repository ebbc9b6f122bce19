"""Validation ROC AUC of training runs alone and of same-input-size pairs, per kind of photo, with 1, 2 and 4 views.

    python scripts/compare_runs.py runs/release runs/release-ema runs/gpu-release

What to read before choosing the members and views of `spotcheck ensemble`: it scores each run's
best checkpoint (PyTorch, fp32, CPU) on the validation images of its split manifest, alone and
averaged with each other run of the same input size, as `spotcheck ensemble` would combine them.
Dermatoscopic and phone photos get an AUC each (phone actinic keratoses left out) and their mean.
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

from spotcheck.classifier.labels import MALIGNANT_INDICES
from spotcheck.training.calibration import malignant_probability
from spotcheck.training.config import TrainConfig, run_folder
from spotcheck.training.dataset import LesionImage, load_images
from spotcheck.training.network import load_network
from spotcheck.training.pipeline import labelled, load_split_records
from spotcheck.training.splits import manifest_sha256, read_manifest
from spotcheck.training.trainer import LabelledImages, domain_aucs, predict_logits

VIEWS = (1, 2, 4)
# Each mirror view once: the mean of the first 1, 2 or 4 is what FlipAveraged computes.
_FLIPS: tuple[tuple[int, ...], ...] = ((), (3,), (2,), (2, 3))


def _validation_records(runs: list[Path]) -> list[LesionImage]:
    manifests = {manifest_sha256(run / "split_manifest.csv") for run in runs}
    if len(manifests) != 1:
        raise SystemExit("the runs were trained on different split manifests; they cannot be compared")
    split_of = read_manifest(runs[0] / "split_manifest.csv")
    return [r for r in load_split_records(TrainConfig.of_run(runs[0]))[0] if split_of.get(r.image_id) == "val"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=run_folder, help="training run folders on one split")
    parser.add_argument("--views", type=int, choices=VIEWS, default=4, help="most mirror views to score (default 4)")
    args = parser.parse_args(argv)
    runs: list[Path] = args.runs
    views_scored = [v for v in VIEWS if v <= args.views]

    records = _validation_records(runs)
    val: LabelledImages | None = None
    pixels_by_size: dict[tuple[int, int], np.ndarray] = {}
    size_of: dict[Path, tuple[int, int]] = {}
    logits: dict[tuple[Path, int], np.ndarray] = {}
    for run in runs:
        config = TrainConfig.of_run(run)
        spec = config.input_spec
        size_of[run] = (spec.height, spec.width)
        if size_of[run] not in pixels_by_size:
            pixels_by_size[size_of[run]] = load_images(records, spec)
            val = labelled(records, pixels_by_size[size_of[run]], list(range(len(records))))
        network = load_network(run)
        pixels = pixels_by_size[size_of[run]]
        per_view = [
            predict_logits(_Mirrored(network, dims), pixels, spec, torch.device("cpu")) for dims in _FLIPS[: args.views]
        ]
        for views in views_scored:
            logits[run, views] = np.mean(per_view[:views], axis=0)

    assert val is not None

    def auc(mean_logits: np.ndarray) -> str:
        aucs = domain_aucs(val, malignant_probability(mean_logits, 1.0, MALIGNANT_INDICES))
        return "  ".join([f"mean {np.mean(list(aucs.values())):.4f}", *(f"{k} {v:.4f}" for k, v in aucs.items())])

    print(f"{len(records)} validation images, {int(val.malignant[val.binary].sum())} malignant (ACK left out)")
    for views in views_scored:
        for run in runs:
            print(f"views={views}  {run.name}: {auc(logits[run, views])}", flush=True)
        for first, second in itertools.combinations(runs, 2):
            if size_of[first] == size_of[second]:
                pair = (logits[first, views] + logits[second, views]) / 2
                print(f"views={views}  {first.name} + {second.name}: {auc(pair)}", flush=True)
    return 0


class _Mirrored(torch.nn.Module):
    """The network on its input mirrored along ``dims`` (none: the image as it is)."""

    def __init__(self, network: torch.nn.Module, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.network, self.dims = network, dims

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.network(pixels.flip(self.dims) if self.dims else pixels)
        return out


if __name__ == "__main__":
    sys.exit(main())
