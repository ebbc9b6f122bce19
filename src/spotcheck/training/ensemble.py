"""Combine finished training runs into one model: mean logits, calibrated and exported as one ONNX graph.

Members must share the lesion-disjoint split, so that the ensemble is calibrated on validation
images and evaluated on test images that none of its members trained on.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

import torch

from spotcheck.classifier.labels import MALIGNANT_INDICES
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.training.calibration import fit_temperature
from spotcheck.training.config import EnsembleConfig, TrainConfig
from spotcheck.training.dataset import load_images
from spotcheck.training.export import onnx_probabilities
from spotcheck.training.network import CalibratedClassifier, FlipAveraged, MeanLogits, load_network
from spotcheck.training.pipeline import labelled, load_split_records, release_metadata
from spotcheck.training.publish import RunSummary, export_and_publish
from spotcheck.training.splits import manifest_sha256, read_manifest
from spotcheck.training.trainer import predict_logits

__all__ = ["member_configs", "run_ensemble"]

# Settings that decide which image lands in which split and how pixels reach the network.
_SHARED_SETTINGS = (
    "data_dir",
    "phone_data_dir",
    "seed",
    "val_fraction",
    "test_fraction",
    "phone_val_fraction",
    "phone_test_fraction",
    "limit_images",
    "height",
    "width",
    "mean",
    "std",
    "fit",
)


def member_configs(members: list[Path]) -> list[TrainConfig]:
    """The runs' settings; raises unless each is a finished run on the same split and input."""
    configs = []
    for member in members:
        missing = [n for n in ("config.json", "best.pt", "split_manifest.csv") if not (member / n).is_file()]
        if missing:
            raise FileNotFoundError(f"{member} is not a finished training run: it lacks {', '.join(missing)}")
        configs.append(TrainConfig.of_run(member))
    if len(set(members)) < len(members):
        raise ValueError(f"a run is listed twice among {[str(m) for m in members]}")
    for member, config in zip(members[1:], configs[1:], strict=True):
        differing = [key for key in _SHARED_SETTINGS if getattr(config, key) != getattr(configs[0], key)]
        if differing:
            raise ValueError(f"{member} was trained with other {', '.join(differing)} than {members[0]}")
        if manifest_sha256(member / "split_manifest.csv") != manifest_sha256(members[0] / "split_manifest.csv"):
            raise ValueError(f"{member} has another split manifest than {members[0]}")
    return configs


def _fingerprint(recipe: EnsembleConfig) -> str:
    digest = hashlib.sha256()
    for member in recipe.members:
        digest.update((member / "best.pt").read_bytes())
    digest.update(recipe.model_dump_json(exclude={"members", "output_dir", "run_name"}).encode())
    return digest.hexdigest()


def run_ensemble(recipe: EnsembleConfig) -> RunSummary:
    """Calibrate, choose the threshold, export and evaluate the ensemble; outputs go to output_dir/run_name."""
    started = time.perf_counter()
    configs = member_configs(recipe.members)
    first = configs[0]
    run_dir = recipe.output_dir / recipe.run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "ensemble.json").write_text(recipe.model_dump_json(indent=2) + "\n")
    manifest = run_dir / "split_manifest.csv"
    shutil.copyfile(recipe.members[0] / "split_manifest.csv", manifest)

    split_of = read_manifest(manifest)
    records = [r for r in load_split_records(first)[0] if r.image_id in split_of]
    val_records = [r for r in records if split_of[r.image_id] == "val"]
    test_records = [r for r in records if split_of[r.image_id] == "test"]
    spec = first.input_spec
    val = labelled(val_records, load_images(val_records, spec), list(range(len(val_records))))
    val_pixels = val.pixels

    scorer = FlipAveraged(MeanLogits([load_network(member) for member in recipe.members]), recipe.tta_flips)
    temperature = fit_temperature(predict_logits(scorer, val_pixels, spec, torch.device("cpu")), val.classes)
    calibrated = CalibratedClassifier(scorer, temperature)

    def describe(onnx_path: Path) -> tuple[ModelMetadata, dict[str, Any]]:
        # The threshold is set on the scores of the exact file that ships.
        val_scores = onnx_probabilities(onnx_path, val_pixels, spec)[:, MALIGNANT_INDICES].sum(axis=1)
        metadata, validation = release_metadata(
            val,
            val_scores,
            target_sensitivity=recipe.target_sensitivity,
            temperature=temperature,
            backbones=[config.backbone for config in configs],
            recipe=f"{first.version}-x{len(configs)}",
            fingerprint=_fingerprint(recipe),
            spec=spec,
            manifest=manifest,
        )
        return metadata, {
            "members": [str(member) for member in recipe.members],
            "tta_flips": recipe.tta_flips,
            "float16_weights": recipe.float16_weights,
            **validation,
            "split_sizes": {s: sum(1 for r in records if split_of[r.image_id] == s) for s in ("train", "val", "test")},
        }

    return export_and_publish(
        calibrated,
        run_dir=run_dir,
        spec=spec,
        check_pixels=val_pixels[:64],
        describe=describe,
        test_records=test_records,
        bootstrap_samples=recipe.bootstrap_samples,
        seed=first.seed,
        started=started,
        malignant_indices=MALIGNANT_INDICES,
        float16_weights=recipe.float16_weights,
    )
