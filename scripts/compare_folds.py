"""Cross-validated comparison of training recipes on phone photos, melanoma on its own.

    python scripts/compare_folds.py runs/folds/share40-fold0 ... runs/folds/mel-x3-fold3

Validation of one split holds only 6 phone melanomas: too few to choose a recipe by. A recipe run
once per part of ``phone_fold`` (``configs/gpu-folds.txt``) scores every training and validation
phone patient once, from a network that never trained on them. Runs named ``NAME-foldK`` are one
recipe; every part must be there. Per recipe, this prints the pooled phone ROC AUC (actinic
keratoses left out), the mean dermatoscopic validation AUC of its runs, and at each run's own
threshold (as ``spotcheck train`` picks it: sensitivity 0.95 on both kinds of its validation
photos) the phone melanomas flagged, the phone sensitivity and specificity. Test images are never
loaded. Runs on the GPU when there is one. Scores are uncalibrated (temperature 1), which moves
no threshold's choice of photos; the pooled AUC mixes the scales of several networks, so read it
beside the counts, which each run's own threshold decides.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_INDICES
from spotcheck.training.calibration import malignant_probability
from spotcheck.training.config import TrainConfig, run_folder
from spotcheck.training.dataset import load_images
from spotcheck.training.network import load_network
from spotcheck.training.pipeline import labelled, load_split_records, safe_threshold
from spotcheck.training.splits import read_manifest
from spotcheck.training.trainer import domain_aucs, predict_logits

_FOLD_SUFFIX = re.compile(r"-fold(\d+)$")
_MELANOMA = DIAGNOSES.index("mel")
# Settings that may differ between the runs of one recipe.
_PER_RUN = {"run_name", "output_dir", "phone_fold"}


@dataclass
class RecipeScores:
    """The phone validation photos of all of a recipe's runs, pooled, and each run's dermatoscopic AUC."""

    scores: list[float] = field(default_factory=list)
    malignant: list[bool] = field(default_factory=list)
    melanoma: list[bool] = field(default_factory=list)
    flagged: list[bool] = field(default_factory=list)
    dermatoscopic_aucs: list[float] = field(default_factory=list)

    def summary(self) -> str:
        malignant, melanoma, flagged = (np.array(v, dtype=bool) for v in (self.malignant, self.melanoma, self.flagged))
        return (
            f"phone AUC {roc_auc_score(malignant, self.scores):.4f}  "
            f"melanomas flagged {int(flagged[melanoma].sum())}/{int(melanoma.sum())}  "
            f"sensitivity {flagged[malignant].mean():.3f}  specificity {1 - flagged[~malignant].mean():.3f}  "
            f"dermatoscopic AUC {np.mean(self.dermatoscopic_aucs):.4f} (mean of {len(self.dermatoscopic_aucs)})"
        )


def recipe_of(run: Path) -> tuple[str, int]:
    """A fold run's recipe name and fold, from its folder name and settings."""
    config = TrainConfig.of_run(run)
    match = _FOLD_SUFFIX.search(run.name)
    if config.phone_fold is None or match is None or int(match.group(1)) != config.phone_fold:
        raise SystemExit(f"{run} is not a cross-validation run named NAME-fold<phone_fold>")
    return run.name[: match.start()], config.phone_fold


def score_run(run: Path, into: RecipeScores, device: torch.device) -> None:
    """Add one run's validation photos to its recipe's pool."""
    config = TrainConfig.of_run(run)
    split_of = read_manifest(run / "split_manifest.csv")
    records = [r for r in load_split_records(config)[0] if split_of.get(r.image_id) == "val"]
    val = labelled(records, load_images(records, config.input_spec), list(range(len(records))))
    logits = predict_logits(load_network(run).to(device), val.pixels, config.input_spec, device)
    scores = malignant_probability(logits, 1.0, MALIGNANT_INDICES)
    threshold, _ = safe_threshold(val, scores, config.target_sensitivity)
    phone = val.phone & val.binary
    into.scores += scores[phone].tolist()
    into.malignant += val.malignant[phone].astype(bool).tolist()
    into.melanoma += (val.classes[phone] == _MELANOMA).tolist()
    into.flagged += (scores[phone] >= threshold).tolist()
    into.dermatoscopic_aucs.append(domain_aucs(val, scores)["dermatoscopic"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=run_folder, help="cross-validation runs, NAME-foldK")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    runs_of: dict[str, list[Path]] = defaultdict(list)
    for run in args.runs:
        runs_of[recipe_of(run)[0]].append(run)
    for name, runs in runs_of.items():
        configs = [TrainConfig.of_run(run) for run in runs]
        if len({c.model_dump_json(exclude=_PER_RUN) for c in configs}) != 1:
            raise SystemExit(f"the runs of {name} differ in more than their fold")
        folds = configs[0].phone_folds
        if sorted(-1 if c.phone_fold is None else c.phone_fold for c in configs) != list(range(folds)):
            raise SystemExit(f"{name} needs one run for each of its {folds} folds")

    for name, runs in sorted(runs_of.items()):
        pooled = RecipeScores()
        for run in sorted(runs):
            score_run(run, pooled, device)
        print(f"{name}: {pooled.summary()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
