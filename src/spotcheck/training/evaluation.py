"""Evaluate an exported model on a labelled folder (optionally one split of a manifest)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_DIAGNOSES
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.training.dataset import LesionImage, load_images, load_records
from spotcheck.training.metrics import screening_metrics
from spotcheck.training.report import write_report
from spotcheck.training.splits import read_manifest

__all__ = ["evaluate_folder", "evaluate_records"]


def evaluate_records(
    classifier: OnnxClassifier,
    records: list[LesionImage],
    *,
    out_dir: Path,
    title: str,
    bootstrap_samples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    meta = classifier.metadata
    pixels = load_images(records, meta.input)
    probabilities = classifier.class_probabilities(pixels)
    scores = probabilities[:, meta.malignant_indices].sum(axis=1)
    y = np.array([r.dx in MALIGNANT_DIAGNOSES for r in records], dtype=np.int64)
    seven_class = tuple(meta.classes) == DIAGNOSES
    metrics = screening_metrics(
        y,
        scores,
        threshold=meta.threshold,
        bootstrap_samples=bootstrap_samples,
        seed=seed,
        true_classes=np.array([DIAGNOSES.index(r.dx) for r in records]) if seven_class else None,
        predicted_classes=probabilities.argmax(1) if seven_class else None,
    )
    flagged = scores >= meta.threshold
    diagnoses = np.array([r.dx for r in records])
    metrics["flagged_by_diagnosis"] = {
        dx: {"images": int((diagnoses == dx).sum()), "flagged": int(flagged[diagnoses == dx].sum())}
        for dx in DIAGNOSES
        if (diagnoses == dx).any()
    }
    metrics["model_version"] = meta.version
    write_report(out_dir, y=y, scores=scores, metrics=metrics, title=title)
    return metrics


def evaluate_folder(
    classifier: OnnxClassifier,
    data_dir: Path,
    *,
    out_dir: Path,
    manifest: Path | None = None,
    split: str = "test",
    bootstrap_samples: int = 2000,
) -> dict[str, Any]:
    records = load_records(data_dir)
    title = f"Evaluation of {classifier.version} on {data_dir}"
    if manifest is not None:
        split_of = read_manifest(manifest)
        records = [r for r in records if split_of.get(r.image_id) == split]
        title += f", split '{split}' of {manifest.name}"
    if not records:
        raise ValueError(f"no labelled images selected in {data_dir}")
    return evaluate_records(classifier, records, out_dir=out_dir, title=title, bootstrap_samples=bootstrap_samples)
