"""Evaluate an exported model on labelled folders, each kind of photo reported on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_DIAGNOSES
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.training.dataset import Domain, LesionImage, load_images, load_records
from spotcheck.training.metrics import screening_metrics
from spotcheck.training.report import write_report
from spotcheck.training.splits import read_manifest

__all__ = ["evaluate_folder", "evaluate_records"]


def _diagnosis(record: LesionImage) -> str:
    return record.source_dx or record.dx


def _flagged_by(records: list[LesionImage], flagged: np.ndarray, key: str) -> dict[str, dict[str, int]]:
    values = np.array([getattr(r, key) if key != "diagnosis" else _diagnosis(r) for r in records])
    malignant = np.array([r.dx in MALIGNANT_DIAGNOSES for r in records])
    out = {}
    for value in sorted(set(values.tolist())):
        mask = values == value
        out[value or "unknown"] = {
            "images": int(mask.sum()),
            "flagged": int(flagged[mask].sum()),
            "malignant": int(malignant[mask].sum()),
            "malignant_flagged": int((flagged & malignant)[mask].sum()),
        }
    return out


def _domain_metrics(
    records: list[LesionImage],
    scores: np.ndarray,
    probabilities: np.ndarray,
    *,
    threshold: np.ndarray,
    seven_class: bool,
    bootstrap_samples: int,
    seed: int,
) -> dict[str, Any]:
    """Figures for one kind of photo; on phone photos actinic keratoses are left out of the binary ones."""
    counted = np.array([r.in_binary_figures for r in records])
    y = np.array([r.dx in MALIGNANT_DIAGNOSES for r in records], dtype=np.int64)
    groups = np.array([r.split_group for r in records])
    classes = np.array([DIAGNOSES.index(r.dx) for r in records])
    metrics = screening_metrics(
        y[counted],
        scores[counted],
        threshold=threshold[counted],
        bootstrap_samples=bootstrap_samples,
        seed=seed,
        groups=groups[counted],
        true_classes=classes[counted] if seven_class else None,
        predicted_classes=probabilities[counted].argmax(1) if seven_class else None,
    )
    flagged = scores >= threshold
    metrics["flagged_by_diagnosis"] = _flagged_by(records, flagged, "diagnosis")
    if not counted.all():
        metrics["left_out"] = "actinic keratoses (ACK), pre-malignant: see with_ack_as_malignant"
        metrics["with_ack_as_malignant"] = screening_metrics(
            y, scores, threshold=threshold, bootstrap_samples=bootstrap_samples, seed=seed, groups=groups
        )
    for key in ("fitzpatrick", "sex"):
        if any(getattr(r, key) for r in records):
            metrics[f"flagged_by_{key}"] = _flagged_by(records, flagged, key)
    return metrics


def evaluate_records(
    classifier: OnnxClassifier,
    records: list[LesionImage],
    *,
    out_dir: Path,
    title: str,
    bootstrap_samples: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Evaluate ``records`` and write one report per kind of photo into ``out_dir/<kind>/``."""
    meta = classifier.metadata
    pixels = load_images(records, meta.input)
    probabilities, thresholds = classifier.judge(pixels)
    scores = probabilities[:, meta.malignant_indices].sum(axis=1)
    seven_class = tuple(meta.classes) == DIAGNOSES
    results: dict[str, dict[str, Any]] = {}
    for domain in Domain:
        index = [i for i, r in enumerate(records) if r.domain is domain]
        if not index:
            continue
        chosen = [records[i] for i in index]
        metrics = _domain_metrics(
            chosen,
            scores[index],
            probabilities[index],
            threshold=thresholds[index],
            seven_class=seven_class,
            bootstrap_samples=bootstrap_samples,
            seed=seed,
        )
        metrics["model_version"] = meta.version
        counted = np.array([r.in_binary_figures for r in chosen])
        y = np.array([r.dx in MALIGNANT_DIAGNOSES for r in chosen], dtype=np.int64)
        write_report(
            out_dir / domain.value,
            y=y[counted],
            scores=scores[index][counted],
            metrics=metrics,
            title=f"{title}: {domain.value} photos",
        )
        results[domain.value] = metrics
    return results


def evaluate_folder(
    classifier: OnnxClassifier,
    data_dir: Path,
    *,
    out_dir: Path,
    manifest: Path | None = None,
    split: str = "test",
    bootstrap_samples: int = 2000,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    records = load_records(data_dir)
    title = f"Evaluation of {classifier.version} on {data_dir}"
    if manifest is not None:
        split_of = read_manifest(manifest)
        records = [r for r in records if split_of.get(r.image_id) == split]
        title += f", split '{split}' of {manifest.name}"
    if not records:
        raise ValueError(f"no labelled images selected in {data_dir}")
    return evaluate_records(
        classifier, records, out_dir=out_dir, title=title, bootstrap_samples=bootstrap_samples, seed=seed
    )
