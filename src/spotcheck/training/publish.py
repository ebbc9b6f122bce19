"""The last stage of every run (training, ensemble, gate): export, parity check, metadata, evaluation, summary."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from spotcheck.classifier.metadata import HeatmapSpec, InputSpec, ModelMetadata
from spotcheck.classifier.metric_keys import KEY_METRICS, metric_key
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.hardware import cpu_description
from spotcheck.training.config import Backbone
from spotcheck.training.dataset import LesionImage
from spotcheck.training.evaluation import evaluate_records
from spotcheck.training.export import export_onnx, parity_max_abs_diff, store_weights_as_float16
from spotcheck.training.provenance import Provenance, provenance

__all__ = [
    "FLOAT16_TOLERANCE",
    "PARITY_TOLERANCE",
    "Describe",
    "RunSummary",
    "export_and_publish",
    "model_name",
    "publish_model",
    "release_version",
]

# ONNX Runtime and PyTorch differ only by float32 rounding; 1e-4 on probabilities is far below
# anything that could move a prediction across the threshold except at its very edge.
PARITY_TOLERANCE = 1e-4
# Rounding the weights to float16 moved probabilities by at most 1.6e-3 on the release ensemble
# (64 validation images); the threshold is set on the rounded model's own scores, as it ships.
FLOAT16_TOLERANCE = 5e-3

Describe = Callable[[Path], tuple[ModelMetadata, Mapping[str, Any]]]
"""Given the exported (and checked) ONNX file: the model's metadata and what the run adds to its summary."""


@dataclass(frozen=True)
class RunSummary:
    """What a run made and measured; ``summary.json`` in its folder holds the same (``as_json``)."""

    run_dir: Path
    parity_max_abs_diff: float
    """Largest difference of any output between PyTorch and the file written (float16 weights included)."""
    model_bytes: int
    device: str
    seconds: float
    test: Mapping[str, Mapping[str, Any]]
    """The evaluation on the test split, per kind of photo."""
    details: Mapping[str, Any]
    """What this kind of run adds: thresholds, split sizes, members, the photo gate's figures."""
    provenance: Provenance

    def as_json(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.run_dir),
            **self.details,
            "parity_max_abs_diff": self.parity_max_abs_diff,
            "model_bytes": self.model_bytes,
            "device": self.device,
            "seconds": self.seconds,
            "git_commit": self.provenance.git_commit,
            "git_dirty": self.provenance.git_dirty,
            "versions": dict(self.provenance.versions),
            "test": self.test,
        }


def release_version(recipe: str, fingerprint: str) -> str:
    """``recipe-YYYYMMDD-fingerprint``: which recipe, when, and which exact weights and settings."""
    return f"{recipe}-{datetime.now(UTC).strftime('%Y%m%d')}-{fingerprint[:8]}"


def model_name(backbones: Sequence[Backbone]) -> str:
    """The metadata's name: one network, several of one kind (an ensemble) or of several kinds."""
    titles = ["EfficientNet-Lite" + b.removeprefix("efficientnet-lite") for b in backbones]
    if len(titles) == 1:
        architecture = titles[0]
    elif len(set(titles)) == 1:
        architecture = f"{len(titles)} x {titles[0]}"
    else:
        architecture = " + ".join(titles)
    return f"SpotCheck lesion classifier ({architecture})"


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


def _export_checked(
    model: nn.Module,
    spec: InputSpec,
    onnx_path: Path,
    pixels: np.ndarray,
    *,
    output_names: tuple[str, ...],
    malignant_indices: Sequence[int],
) -> tuple[float, HeatmapSpec | None]:
    heatmap = export_onnx(model, spec, onnx_path, output_names=output_names, malignant_indices=malignant_indices)
    parity = parity_max_abs_diff(model, onnx_path, pixels, spec)
    if parity > PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX and PyTorch disagree by {parity:.2e} (> {PARITY_TOLERANCE:.0e})")
    return parity, heatmap


def _round_weights_checked(model: nn.Module, spec: InputSpec, onnx_path: Path, pixels: np.ndarray) -> float:
    store_weights_as_float16(onnx_path)
    parity = parity_max_abs_diff(model, onnx_path, pixels, spec)
    if parity > FLOAT16_TOLERANCE:
        raise RuntimeError(f"float16 weights move outputs by {parity:.2e} (> {FLOAT16_TOLERANCE:.0e})")
    return parity


def export_and_publish(
    model: nn.Module,
    *,
    run_dir: Path,
    spec: InputSpec,
    check_pixels: np.ndarray,
    describe: Describe,
    test_records: list[LesionImage],
    bootstrap_samples: int,
    seed: int,
    started: float,
    output_names: tuple[str, ...] = ("probabilities",),
    malignant_indices: Sequence[int] = (),
    float16_weights: bool = False,
    measure: Callable[[Path], Mapping[str, Any]] | None = None,
    device: str | None = None,
) -> RunSummary:
    """Export ``model`` to ``run_dir/model.onnx`` and check it against PyTorch on ``check_pixels`` (again
    after rounding its weights to float16, when asked); write the metadata ``describe`` gives for that
    file, evaluate it on ``test_records`` and write ``summary.json``.

    Given ``malignant_indices``, the graph also gets the heatmap output, recorded in the metadata.
    ``measure`` adds figures of the published model (metadata written) to the summary's details;
    ``started`` is the run's ``time.perf_counter()`` at its start; ``device`` defaults to this CPU.
    """
    onnx_path = run_dir / "model.onnx"
    parity, heatmap = _export_checked(
        model, spec, onnx_path, check_pixels, output_names=output_names, malignant_indices=malignant_indices
    )
    if float16_weights:
        parity = _round_weights_checked(model, spec, onnx_path, check_pixels)
    metadata, details = describe(onnx_path)
    metadata = metadata.model_copy(update={"heatmap": heatmap})
    test = publish_model(onnx_path, metadata, test_records, bootstrap_samples=bootstrap_samples, seed=seed)
    if measure is not None:
        details = {**details, **measure(onnx_path)}
    summary = RunSummary(
        run_dir=run_dir,
        parity_max_abs_diff=parity,
        model_bytes=onnx_path.stat().st_size,
        device=device or cpu_description(),
        seconds=time.perf_counter() - started,
        test=test,
        details=details,
        provenance=provenance(),
    )
    (run_dir / "summary.json").write_text(json.dumps(summary.as_json(), indent=2) + "\n")
    return summary
