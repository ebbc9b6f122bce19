"""Fit the photo gate's lesion head on a finished run, and ship the run with it as one ONNX graph.

The head is a logistic regression on the network's own pooled image features (``WithEmbedding``):
lesion photos of the run's training split against ordinary photos that are not of a lesion (a
folder with a ``labels.csv`` of ``image_id, category``, split 60/20/20 within each category). Its
threshold is set on validation photos so that at most ``max_lesion_refusal`` of the lesion photos
of each kind (dermatoscopic, phone) are refused; the test photos of both are only reported.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.classifier.metadata import InputSpec, ModelMetadata
from spotcheck.classifier.onnx import LESION_OUTPUT, OnnxClassifier
from spotcheck.classifier.preprocess import resize_rgb
from spotcheck.photocheck.gate import GateSpec
from spotcheck.training.config import EnsembleConfig, TrainConfig
from spotcheck.training.dataset import Domain, LesionImage, load_images
from spotcheck.training.negatives import negative_splits
from spotcheck.training.network import FlipAveraged, MeanLogits, ScreeningModel, WithEmbedding, load_network
from spotcheck.training.pipeline import load_split_records
from spotcheck.training.publish import RunSummary, export_and_publish, release_version
from spotcheck.training.splits import read_manifest
from spotcheck.training.trainer import predict_logits

__all__ = ["GateConfig", "run_gate"]


class GateConfig(BaseModel):
    """How ``spotcheck gate`` fits the lesion head onto a finished run."""

    model_config = ConfigDict(extra="forbid")

    run: Path = Field(description="A finished training or ensemble run (model.json, best.pt or members).")
    negatives_dir: Path = Path("../shared/datasets/non-lesion-photos")
    output_dir: Path = Path("runs")
    run_name: str = "release-gated"
    max_lesion_refusal: float = Field(default=0.005, ge=0.0, lt=0.2)
    dermatoscopic_train_sample: int = Field(default=1500, ge=10, description="HAM training photos the head sees.")
    seed: int = 20261126
    float16_weights: bool = True
    bootstrap_samples: int = 2000


def _recipe(run: Path) -> tuple[TrainConfig, torch.nn.Module, int]:
    """The run's training settings and its network(s) with features, mirror-averaged as the run exports them."""
    if (run / "ensemble.json").is_file():
        recipe = EnsembleConfig.model_validate_json((run / "ensemble.json").read_text())
        members: list[torch.nn.Module] = [WithEmbedding(load_network(member)) for member in recipe.members]
        return TrainConfig.of_run(recipe.members[0]), MeanLogits(members), recipe.tta_flips
    config = TrainConfig.of_run(run)
    return config, WithEmbedding(load_network(run)), config.tta_flips


def _load_photos(paths: list[Path], spec: InputSpec) -> np.ndarray:
    out = np.empty((len(paths), spec.height, spec.width, 3), dtype=np.uint8)
    for i, path in enumerate(tqdm(paths, desc="decoding", unit="img", leave=False)):
        with Image.open(path) as image:
            out[i] = resize_rgb(image, spec)
    return out


def _features(scorer: torch.nn.Module, pixels: np.ndarray, spec: InputSpec) -> np.ndarray:
    return predict_logits(scorer, pixels, spec, torch.device("cpu"))[:, len(DIAGNOSES) :]


def _by_domain(records: list[LesionImage]) -> dict[str, np.ndarray]:
    return {d.value: np.array([r.domain is d for r in records]) for d in Domain if any(r.domain is d for r in records)}


def run_gate(config: GateConfig) -> RunSummary:
    """Fit the head, choose its threshold, export the gated model and evaluate it; returns the summary."""
    started = time.perf_counter()
    train_config, embedded, flips = _recipe(config.run)
    meta = ModelMetadata.read(config.run / "model.json")
    spec = meta.input
    scorer = FlipAveraged(embedded, flips).eval()
    run_dir = config.output_dir / config.run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "gate.json").write_text(config.model_dump_json(indent=2) + "\n")
    if (run_dir / "split_manifest.csv").resolve() != (config.run / "split_manifest.csv").resolve():
        shutil.copyfile(config.run / "split_manifest.csv", run_dir / "split_manifest.csv")

    split_of = read_manifest(config.run / "split_manifest.csv")
    records = [r for r in load_split_records(train_config)[0] if r.image_id in split_of]
    rng = np.random.default_rng(config.seed)
    lesions: dict[str, list[LesionImage]] = {}
    for split in ("train", "val", "test"):
        chosen = [r for r in records if split_of[r.image_id] == split]
        if split == "train":
            derm = [r for r in chosen if r.domain is Domain.DERMATOSCOPIC]
            keep = rng.choice(len(derm), size=min(config.dermatoscopic_train_sample, len(derm)), replace=False)
            chosen = [derm[i] for i in sorted(keep)] + [r for r in chosen if r.domain is Domain.SMARTPHONE]
        lesions[split] = chosen
    negatives = negative_splits(config.negatives_dir, config.seed)

    # The head is fitted on train and thresholded on val; test photos are judged by the exported
    # model itself in _gate_figures, so their features are never needed here.
    feats = {}
    for split in ("train", "val"):
        feats[split, "lesion"] = _features(scorer, load_images(lesions[split], spec), spec)
        feats[split, "other"] = _features(scorer, _load_photos([p for p, _ in negatives[split]], spec), spec)

    x_train = np.concatenate([feats["train", "lesion"], feats["train", "other"]])
    y_train = np.concatenate([np.ones(len(feats["train", "lesion"])), np.zeros(len(feats["train", "other"]))])
    scaler = StandardScaler().fit(x_train)

    def fit(c: float) -> LogisticRegression:
        head = LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
        return head.fit(scaler.transform(x_train), y_train)

    def scores(head: LogisticRegression, split: str, kind: str) -> np.ndarray:
        return np.asarray(head.predict_proba(scaler.transform(feats[split, kind]))[:, 1])

    def threshold_of(head: LogisticRegression) -> float:
        val_scores = scores(head, "val", "lesion")
        per_domain = [
            np.quantile(val_scores[mask], config.max_lesion_refusal) for mask in _by_domain(lesions["val"]).values()
        ]
        return float(min(per_domain))

    # The regularisation that refuses the most validation photos of other things at the lesion target.
    candidates = {c: fit(c) for c in (0.001, 0.01, 0.1, 1.0)}
    refused_val = {c: float((scores(h, "val", "other") < threshold_of(h)).mean()) for c, h in candidates.items()}
    best_c = max(refused_val, key=lambda c: (refused_val[c], -c))
    head = candidates[best_c]
    threshold = threshold_of(head)

    # Fold the standardisation into the weights: w' = w / sd, b' = b - sum(w * mean / sd).
    weight = head.coef_[0] / scaler.scale_
    bias = float(head.intercept_[0] - np.sum(head.coef_[0] * scaler.mean_ / scaler.scale_))
    model = ScreeningModel(
        scorer,
        classes=len(DIAGNOSES),
        temperature=meta.temperature,
        lesion_weight=torch.from_numpy(weight.astype(np.float32)),
        lesion_bias=bias,
    ).eval()

    def describe(onnx_path: Path) -> tuple[ModelMetadata, dict[str, Any]]:
        metadata = meta.model_copy(
            update={
                "name": meta.name.replace("lesion classifier", "lesion classifier with photo gate"),
                "version": release_version(train_config.version, hashlib.sha256(onnx_path.read_bytes()).hexdigest()),
                "gate": GateSpec(lesion_threshold=threshold),
                "metrics": {},
            }
        )
        return metadata, {
            "source_run": str(config.run),
            "lesion_head": {"C": best_c, "features": int(weight.size), "threshold": threshold},
            "val_other_refused_by_C": refused_val,
            "train_sizes": {"lesion": len(lesions["train"]), "other": len(negatives["train"])},
        }

    return export_and_publish(
        model,
        run_dir=run_dir,
        spec=spec,
        check_pixels=load_images(lesions["val"][:48], spec),
        describe=describe,
        test_records=lesions["test"],
        bootstrap_samples=config.bootstrap_samples,
        seed=config.seed,
        started=started,
        output_names=("probabilities", LESION_OUTPUT),
        malignant_indices=meta.malignant_indices,
        float16_weights=config.float16_weights,
        measure=lambda onnx_path: {"gate": _gate_figures(onnx_path, lesions, negatives, config)},
    )


def _gate_figures(
    onnx_path: Path,
    lesions: dict[str, list[LesionImage]],
    negatives: dict[str, list[tuple[Path, str]]],
    config: GateConfig,
) -> dict[str, Any]:
    """Share refused by the whole gate (size, focus, exposure, lesion head) on validation and test photos."""
    classifier = OnnxClassifier(onnx_path)
    figures: dict[str, Any] = {}
    for split in ("val", "test"):
        outcome: dict[str, Any] = {}
        for domain, mask in _by_domain(lesions[split]).items():
            chosen = [r for r, keep in zip(lesions[split], mask, strict=True) if keep]
            refused = _refusals(classifier, [r.path for r in chosen])
            outcome[f"lesion_{domain}"] = {"photos": len(chosen), "refused": sum(1 for r in refused if r)}
        refused = _refusals(classifier, [p for p, _ in negatives[split]])
        by_category: dict[str, dict[str, int]] = defaultdict(lambda: {"photos": 0, "refused": 0})
        for (_, category), reason in zip(negatives[split], refused, strict=True):
            by_category[category]["photos"] += 1
            by_category[category]["refused"] += reason is not None
        outcome["other"] = {"photos": len(refused), "refused": sum(1 for r in refused if r)}
        outcome["other_by_category"] = dict(sorted(by_category.items()))
        figures[split] = outcome
    return figures


def _refusals(classifier: OnnxClassifier, paths: list[Path]) -> list[str | None]:
    from spotcheck.classifier.base import Refusal

    reasons: list[str | None] = []
    for start in range(0, len(paths), 32):
        images = []
        for path in paths[start : start + 32]:
            with Image.open(path) as image:
                images.append(image.convert("RGB"))
        reasons += [a.reason.value if isinstance(a, Refusal) else None for a in classifier.classify(images)]
    return reasons
