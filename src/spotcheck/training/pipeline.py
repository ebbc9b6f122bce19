"""One training run, end to end: splits, fine-tuning, calibration, threshold, ONNX export, evaluation."""

from __future__ import annotations

import dataclasses
import hashlib
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_DIAGNOSES, MALIGNANT_INDICES
from spotcheck.classifier.metadata import InputSpec, ModelMetadata
from spotcheck.training.calibration import fit_temperature, malignant_probability, threshold_for_sensitivity
from spotcheck.training.config import Backbone, TrainConfig
from spotcheck.training.dataset import Domain, LesionImage, load_images, load_records
from spotcheck.training.network import CalibratedClassifier, FlipAveraged, build_network, load_network
from spotcheck.training.publish import RunSummary, export_and_publish, model_name, release_version
from spotcheck.training.splits import cross_validation_fold, manifest_sha256, split_by_lesion, write_manifest
from spotcheck.training.trainer import LabelledImages, domain_aucs, predict_logits, train_network

__all__ = [
    "TrainedCheckpoint",
    "check_same_split_and_input",
    "labelled",
    "load_split_records",
    "release_metadata",
    "run_training",
    "safe_threshold",
]


@dataclasses.dataclass(frozen=True)
class TrainedCheckpoint:
    """A run stopped once fine-tuned (``stop_after_training``); ``--from-checkpoint`` finishes it."""

    run_dir: Path
    best_checkpoint: Path
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {"run_dir": str(self.run_dir), "best_checkpoint": str(self.best_checkpoint), "seconds": self.seconds}


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _subsample(records: list[LesionImage], limit: int, seed: int) -> list[LesionImage]:
    """A small subset that still holds every diagnosis (for smoke runs)."""
    rng = np.random.default_rng(seed)
    by_dx = {dx: [r for r in records if r.dx == dx] for dx in DIAGNOSES}
    chosen: list[LesionImage] = []
    per_dx = max(1, limit // len(DIAGNOSES))
    for dx in DIAGNOSES:
        group = by_dx[dx]
        picks = rng.choice(len(group), size=min(per_dx, len(group)), replace=False)
        chosen += [group[i] for i in picks]
    return sorted(chosen, key=lambda r: r.image_id)


def labelled(records: list[LesionImage], pixels: np.ndarray, index: list[int]) -> LabelledImages:
    """The images ``index`` of ``records`` with their labels, as training and calibration use them."""
    chosen = [records[i] for i in index]
    return LabelledImages(
        pixels=pixels[index],
        classes=np.array([DIAGNOSES.index(r.dx) for r in chosen], dtype=np.int64),
        malignant=np.array([r.dx in MALIGNANT_DIAGNOSES for r in chosen], dtype=np.int64),
        phone=np.array([r.domain is Domain.SMARTPHONE for r in chosen], dtype=bool),
        binary=np.array([r.in_binary_figures for r in chosen], dtype=bool),
    )


def load_split_records(config: TrainConfig) -> tuple[list[LesionImage], dict[str, str]]:
    """Every image the recipe uses and its split: each data set split on its own, by lesion or patient."""
    folders: list[tuple[Path, float, float, int | None]] = [
        (config.data_dir, config.val_fraction, config.test_fraction, None)
    ]
    if config.phone_data_dir is not None:
        phone = (config.phone_data_dir, config.phone_val_fraction, config.phone_test_fraction, config.phone_fold)
        folders.append(phone)
    records: list[LesionImage] = []
    split_of: dict[str, str] = {}
    for folder, val_fraction, test_fraction, fold in folders:
        found = load_records(folder)
        if config.limit_images:
            found = _subsample(found, config.limit_images, config.seed)
        splits = split_by_lesion(found, val_fraction=val_fraction, test_fraction=test_fraction, seed=config.seed)
        if fold is not None:
            splits = cross_validation_fold(found, splits, folds=config.phone_folds, fold=fold, seed=config.seed)
        split_of |= splits
        records += found
    return records, split_of


def _teacher_logits(path: Path, records: list[LesionImage], index: list[int]) -> np.ndarray:
    with np.load(path) as saved:
        by_id = dict(zip(saved["image_ids"].tolist(), saved["logits"], strict=True))
    missing = [records[i].image_id for i in index if records[i].image_id not in by_id]
    if missing:
        raise ValueError(f"{path} has no teacher logits for {len(missing)} training images, e.g. {missing[0]}")
    return np.stack([by_id[records[i].image_id] for i in index]).astype(np.float32)


def release_metadata(
    val: LabelledImages,
    val_scores: np.ndarray,
    *,
    target_sensitivity: float,
    temperature: float,
    backbones: Sequence[Backbone],
    recipe: str,
    fingerprint: str,
    spec: InputSpec,
    manifest: Path,
) -> tuple[ModelMetadata, dict[str, Any]]:
    """The metadata a run ships (named for its ``backbones``, versioned by ``recipe`` and ``fingerprint``,
    its threshold the safe one for ``target_sensitivity`` on the validation scores), and what the run's
    summary says of its validation split and that operating point."""
    threshold, domain_thresholds = safe_threshold(val, val_scores, target_sensitivity)
    metadata = ModelMetadata(
        name=model_name(backbones),
        version=release_version(recipe, fingerprint),
        input=spec,
        classes=DIAGNOSES,
        malignant_classes=MALIGNANT_DIAGNOSES,
        threshold=threshold,
        temperature=temperature,
    )
    return metadata, {
        "val_roc_auc": float(roc_auc_score(val.malignant[val.binary], val_scores[val.binary])),
        "val_roc_auc_by_domain": domain_aucs(val, val_scores),
        "temperature": temperature,
        "threshold": threshold,
        "threshold_by_domain": domain_thresholds,
        "manifest_sha256": manifest_sha256(manifest),
    }


def safe_threshold(data: LabelledImages, scores: np.ndarray, target: float) -> tuple[float, dict[str, float]]:
    """One threshold that keeps sensitivity at ``target`` or more on every kind of photo present.

    Each kind gets the threshold its own validation images need; the lowest of them is the one
    that is safe for all. Returns it and each kind's own.
    """
    per_domain = {}
    for name, mask in (("dermatoscopic", ~data.phone), ("smartphone", data.phone)):
        mask = mask & data.binary
        if data.malignant[mask].sum() > 0:
            per_domain[name] = threshold_for_sensitivity(scores[mask], data.malignant[mask], target)
    return min(per_domain.values()), per_domain


def _fingerprint(config: TrainConfig, checkpoint: Path) -> str:
    """Hex digits that change with the weights or with any setting of the recipe."""
    digest = hashlib.sha256(checkpoint.read_bytes())
    digest.update(config.model_dump_json(exclude={"output_dir", "data_dir", "phone_data_dir", "run_name"}).encode())
    return digest.hexdigest()


_SPLIT_AND_INPUT = (
    "seed",
    "val_fraction",
    "test_fraction",
    "phone_data_dir",
    "phone_val_fraction",
    "phone_test_fraction",
    "phone_folds",
    "phone_fold",
    "backbone",
    "height",
    "width",
    "mean",
    "std",
    "fit",
    "limit_images",
)


def check_same_split_and_input(trained_with: TrainConfig, config: TrainConfig, *, what: str) -> None:
    """Refuse a run whose split or input differs from ``config``'s (``what`` names it in the error)."""
    changed = {key for key in _SPLIT_AND_INPUT if getattr(trained_with, key) != getattr(config, key)}
    if changed:
        raise ValueError(f"{what} was trained with other {', '.join(sorted(changed))}")


@overload
def run_training(
    config: TrainConfig, *, from_checkpoint: bool = False, stop_after_training: Literal[False] = False
) -> RunSummary: ...


@overload
def run_training(
    config: TrainConfig, *, from_checkpoint: bool = False, stop_after_training: bool
) -> RunSummary | TrainedCheckpoint: ...


def run_training(
    config: TrainConfig, *, from_checkpoint: bool = False, stop_after_training: bool = False
) -> RunSummary | TrainedCheckpoint:
    """Train, calibrate, export and evaluate; every output lands in ``output_dir/run_name``.

    ``from_checkpoint`` skips fine-tuning and redoes calibration, threshold, export and evaluation
    from the run folder's ``best.pt`` (for example after changing ``target_sensitivity``, or on
    another machine). ``stop_after_training`` ends once ``best.pt`` is written (a GPU machine
    fine-tunes; the rest runs anywhere).
    """
    started = time.perf_counter()
    _seed_everything(config.seed)
    run_dir = config.output_dir / config.run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    config_path = run_dir / "config.json"
    if from_checkpoint and config_path.is_file():
        check_same_split_and_input(TrainConfig.of_run(run_dir), config, what="the checkpoint")
    if config.route_partner is not None:
        partner = TrainConfig.of_run(config.route_partner)
        if partner.input_spec.model_dump(exclude={"fit"}) != config.input_spec.model_dump(exclude={"fit"}):
            raise ValueError(f"{config.route_partner} takes another input than this run ({partner.input_spec})")
    if config.init_from is not None:
        # The starting point must not have trained on this run's validation or test images.
        check_same_split_and_input(TrainConfig.of_run(config.init_from), config, what=str(config.init_from))
    config_path.write_text(config.model_dump_json(indent=2) + "\n")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    records, split_of = load_split_records(config)
    manifest = run_dir / "split_manifest.csv"
    write_manifest(manifest, records, split_of)
    spec = config.input_spec
    pixels = load_images(records, spec)
    index = {s: [i for i, r in enumerate(records) if split_of[r.image_id] == s] for s in ("train", "val", "test")}
    train, val = labelled(records, pixels, index["train"]), labelled(records, pixels, index["val"])
    if config.teacher_logits is not None:
        train = dataclasses.replace(train, teacher=_teacher_logits(config.teacher_logits, records, index["train"]))

    network = build_network(
        num_classes=len(DIAGNOSES),
        height=spec.height,
        width=spec.width,
        pretrained=config.pretrained,
        dropout=config.dropout,
        backbone=config.backbone,
    )
    if config.init_from is not None:
        start = torch.load(config.init_from / "best.pt", map_location="cpu", weights_only=True)
        network.load_state_dict(start["state_dict"])
    best = run_dir / "best.pt"
    if from_checkpoint:
        if not best.is_file():
            raise FileNotFoundError(f"no checkpoint {best} to continue from; train without --from-checkpoint first")
    else:
        best = train_network(
            network,
            train=train,
            val=val,
            spec=spec,
            malignant_indices=MALIGNANT_INDICES,
            config=config,
            device=device,
            run_dir=run_dir,
            partner=None if config.route_partner is None else load_network(config.route_partner),
        )
        if stop_after_training:
            return TrainedCheckpoint(run_dir=run_dir, best_checkpoint=best, seconds=time.perf_counter() - started)
    checkpoint = torch.load(best, map_location="cpu", weights_only=True)
    network.load_state_dict(checkpoint["state_dict"])
    network.to("cpu").float()

    scorer = FlipAveraged(network, config.tta_flips)
    val_logits = predict_logits(scorer, val.pixels, spec, torch.device("cpu"))
    temperature = fit_temperature(val_logits, val.classes)
    val_scores = malignant_probability(val_logits, temperature, MALIGNANT_INDICES)
    calibrated = CalibratedClassifier(scorer, temperature)
    metadata, validation = release_metadata(
        val,
        val_scores,
        target_sensitivity=config.target_sensitivity,
        temperature=temperature,
        backbones=[config.backbone],
        recipe=config.version,
        fingerprint=_fingerprint(config, best),
        spec=spec,
        manifest=manifest,
    )
    details = {
        "best_epoch": checkpoint["epoch"],
        "tta_flips": config.tta_flips,
        **validation,
        "split_sizes": {s: len(v) for s, v in index.items()},
        "torch_threads": torch.get_num_threads(),
    }
    return export_and_publish(
        calibrated,
        run_dir=run_dir,
        spec=spec,
        check_pixels=pixels[index["test"]][:64],
        describe=lambda _: (metadata, details),
        test_records=[records[i] for i in index["test"]],
        bootstrap_samples=config.bootstrap_samples,
        seed=config.seed,
        started=started,
        malignant_indices=MALIGNANT_INDICES,
        device=torch.cuda.get_device_name() if device.type == "cuda" else None,
    )
