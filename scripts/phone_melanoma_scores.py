"""Each phone melanoma's scores, and what other thresholds would cost, for one model on one split.

    python scripts/phone_melanoma_scores.py --manifest runs/gpu/student-d50/split_manifest.csv --split val

A missed melanoma is the worst outcome SpotCheck can produce; this shows whether a model's misses
sit just under its threshold (a threshold question) or far below it (a training question). It
prints every phone melanoma of the split with its malignant probability and its melanoma
probability, then, for the model's own threshold and a few lower ones, the phone sensitivity and
specificity (actinic keratoses left out, as in every report) and the melanomas flagged. Photos the
photo gate refuses (as `spotcheck classify` would) count as not flagged. Choose thresholds on validation, never on test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from spotcheck.classifier.base import Refusal
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.photocheck.gate import refusal_after_model
from spotcheck.training.dataset import load_records
from spotcheck.training.splits import read_manifest

PHONE_DIR = Path("../shared/datasets/pad-ufes-20-partial")
MALIGNANT = ("MEL", "BCC", "SCC")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="ONNX model; default: the shipped one")
    parser.add_argument("--phone-dir", type=Path, default=PHONE_DIR)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[0.03, 0.02, 0.01])
    args = parser.parse_args(argv)
    missing = [str(p) for p in (args.manifest, args.phone_dir / "metadata.csv") if not p.is_file()]
    if missing:
        parser.error(f"no such file: {', '.join(missing)}")

    classifier = OnnxClassifier(args.model or packaged_model_path())
    split_of = read_manifest(args.manifest)
    records = [r for r in load_records(args.phone_dir) if split_of.get(r.image_id) == args.split]
    records = [r for r in records if r.in_binary_figures]
    if not records:
        raise SystemExit(f"no phone photos in split {args.split!r} of {args.manifest}")
    spec = classifier.metadata.input
    blank = np.zeros((spec.height, spec.width, 3), dtype=np.uint8)  # scored, then counted as refused
    # As `spotcheck classify` does it: the photo gate's checks of the photo, then the model.
    prepared = [classifier.prepare(Image.open(r.path)) for r in records]
    refused = np.array([isinstance(item, Refusal) for item in prepared])
    pixels = np.stack([item if not isinstance(item, Refusal) else blank for item in prepared])
    probabilities, lesion = classifier.outputs(pixels)
    gate = classifier.metadata.gate
    if gate is not None and lesion is not None:
        refused |= np.array([refusal_after_model(float(p), gate) is not None for p in lesion])
    malignant = probabilities[:, classifier.metadata.malignant_indices].sum(axis=1)
    melanoma = probabilities[:, classifier.metadata.classes.index("mel")]
    truth = np.array([r.source_dx in MALIGNANT for r in records])
    is_melanoma = np.array([r.source_dx == "MEL" for r in records])

    print(
        f"{classifier.version}, split {args.split!r}: {len(records)} phone photos, {int(is_melanoma.sum())} melanomas"
    )
    for i in np.flatnonzero(is_melanoma)[np.argsort(malignant[is_melanoma])]:
        note = "  (refused by the photo gate)" if refused[i] else ""
        print(f"  {records[i].image_id}: malignant {malignant[i]:.3f}  melanoma {melanoma[i]:.3f}{note}")
    for threshold in [classifier.metadata.threshold, *args.thresholds]:
        flagged = (malignant >= threshold) & ~refused
        print(
            f"threshold {threshold:.4f}: sensitivity {flagged[truth].mean():.3f}  "
            f"specificity {1 - flagged[~truth].mean():.3f}  "
            f"melanomas flagged {int(flagged[is_melanoma].sum())}/{int(is_melanoma.sum())}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
