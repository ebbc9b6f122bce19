"""Phone photos shown larger to a network trained at 200x150: does it find melanomas better?

    python scripts/probe_input_size.py runs/gpu/student-d50 runs/gpu/phone-share40 --split val

A frozen-feature probe (scripts/probe_backbones.py) found that a 300x225 input separates phone
melanomas from nevi and keratoses better than 200x150. This asks the cheaper question: would
feeding the phone photos of a split at a larger size to an already fine-tuned network help,
without training again? Printed per run and input size (width x height): phone ROC AUC (malignant
against benign, actinic keratoses left out), melanoma against benign, and at the split's own
threshold for sensitivity 0.95: specificity and melanomas flagged. The threshold is fitted on the
split it is scored on, so read the figures side by side, never as a model's result.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from spotcheck.classifier.labels import MALIGNANT_DIAGNOSES, MALIGNANT_INDICES
from spotcheck.training.config import TrainConfig, run_folder
from spotcheck.training.dataset import Domain, load_images
from spotcheck.training.network import load_network
from spotcheck.training.pipeline import check_same_split_and_input, load_split_records
from spotcheck.training.trainer import predict_logits

SIZES = ((150, 200), (195, 260), (225, 300))


def _auc(truth: np.ndarray, scores: np.ndarray) -> str:
    return f"{roc_auc_score(truth, scores):.3f}" if 0 < truth.sum() < len(truth) else "n/a"


def _row(malignant: np.ndarray, truth: np.ndarray, melanoma: np.ndarray) -> str:
    benign = ~truth
    threshold = np.sort(malignant[truth])[int(np.floor(0.05 * truth.sum()))]
    return (
        f"AUC {_auc(truth, malignant)}  "
        f"melanoma vs benign {_auc(melanoma[melanoma | benign], malignant[melanoma | benign])}  "
        f"at sensitivity 0.95: specificity {(malignant[benign] < threshold).mean():.3f}, "
        f"melanomas {int((malignant[melanoma] >= threshold).sum())}/{int(melanoma.sum())}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=run_folder, help="training run folders trained on one split")
    parser.add_argument("--split", default="val")
    args = parser.parse_args(argv)

    config = TrainConfig.of_run(args.runs[0])
    for run in args.runs[1:]:
        try:
            check_same_split_and_input(TrainConfig.of_run(run), config, what=str(run))
        except ValueError as error:
            raise SystemExit(f"{error} than {args.runs[0]}: the runs must share one split") from None
    records, split_of = load_split_records(config)
    phone = [
        r
        for r in records
        if r.domain is Domain.SMARTPHONE and split_of[r.image_id] == args.split and r.in_binary_figures
    ]
    truth = np.array([r.dx in MALIGNANT_DIAGNOSES for r in phone])
    melanoma = np.array([r.source_dx == "MEL" for r in phone])
    if not truth.any():
        raise SystemExit(f"no malignant phone photos in split {args.split!r} of {args.runs[0]}")
    counts = f"{len(phone)} phone photos, {int(truth.sum())} malignant, {int(melanoma.sum())} melanomas"
    print(f"split {args.split!r}: {counts}")
    for height, width in SIZES:
        spec = config.input_spec.model_copy(update={"height": height, "width": width})
        pixels = load_images(phone, spec)
        for run in args.runs:
            network = load_network(run, input_size=(height, width))
            probabilities = torch.softmax(
                torch.from_numpy(predict_logits(network, pixels, spec, torch.device("cpu"))), dim=1
            )
            malignant = probabilities[:, MALIGNANT_INDICES].sum(dim=1).numpy()
            print(f"{run.name:20s} {width}x{height}: {_row(malignant, truth, melanoma)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
