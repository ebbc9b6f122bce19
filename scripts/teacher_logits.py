"""Logits of an ensemble teacher on every training image, for distilling it into one network.

    python scripts/teacher_logits.py runs/phone runs/phone-share40 --views 2 --out runs/teacher.npz
    spotcheck train -c configs/release-phone.toml -o teacher_logits=runs/teacher.npz -o run_name=student

The teacher is the mean of the runs' logits over ``--views`` mirror views (as ``spotcheck ensemble``
combines them), on the un-augmented training images of the runs' shared split. Validation and test
images are never scored, so the student's choices stay on validation alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from spotcheck.training.config import TrainConfig, run_folder
from spotcheck.training.dataset import load_images
from spotcheck.training.network import FlipAveraged, MeanLogits, load_network
from spotcheck.training.pipeline import load_split_records
from spotcheck.training.splits import manifest_sha256, read_manifest
from spotcheck.training.trainer import predict_logits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=run_folder, help="training run folders on one split")
    parser.add_argument("--views", type=int, choices=(1, 2, 4), default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.out.parent.is_dir():  # before the logits are computed, not after
        parser.error(f"no folder {args.out.parent} to write {args.out.name} in")
    if len({manifest_sha256(run / "split_manifest.csv") for run in args.runs}) != 1:
        raise SystemExit("the runs were trained on different split manifests")
    config = TrainConfig.of_run(args.runs[0])
    split_of = read_manifest(args.runs[0] / "split_manifest.csv")
    records = [r for r in load_split_records(config)[0] if split_of.get(r.image_id) == "train"]
    teacher = FlipAveraged(MeanLogits([load_network(run) for run in args.runs]), args.views)
    logits = predict_logits(teacher, load_images(records, config.input_spec), config.input_spec, torch.device("cpu"))
    np.savez(args.out, image_ids=np.array([r.image_id for r in records]), logits=logits.astype(np.float32))
    print(f"{len(records)} training images scored by {len(args.runs)} runs x {args.views} views -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
