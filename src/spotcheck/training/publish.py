"""The last step of every run: write the model's metadata and evaluate it on its own test split."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.metric_keys import KEY_METRICS, metric_key
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.training.dataset import LesionImage
from spotcheck.training.evaluation import evaluate_records

__all__ = ["publish_model", "release_version"]


def release_version(recipe: str, fingerprint: str) -> str:
    """``recipe-YYYYMMDD-fingerprint``: which recipe, when, and which exact weights and settings."""
    return f"{recipe}-{datetime.now(UTC).strftime('%Y%m%d')}-{fingerprint[:8]}"


def publish_model(
    onnx_path: Path, metadata: ModelMetadata, test_records: list[LesionImage], *, bootstrap_samples: int, seed: int
) -> dict[str, dict[str, Any]]:
    """Write ``metadata`` beside the ONNX file, evaluate the pair on the test split (per kind of photo),
    add the key metrics."""
    metadata_path = onnx_path.with_suffix(".json")
    metadata.write(metadata_path)
    metrics = evaluate_records(
        OnnxClassifier(onnx_path),
        test_records,
        out_dir=onnx_path.parent / "evaluation",
        title=f"{metadata.version} on its lesion-disjoint test split",
        bootstrap_samples=bootstrap_samples,
        seed=seed,
    )
    key_metrics = {
        metric_key(name, domain): figures[name] for domain, figures in metrics.items() for name in KEY_METRICS
    }
    metadata.model_copy(update={"metrics": key_metrics}).write(metadata_path)
    return metrics
