"""Training and serving runtimes agree: PyTorch eager (fp32) against ONNX Runtime on real images.

A shipped model has no checkpoint beside it, so parity is checked on the smoke run's export;
the export path is the same one the release run takes.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

import torch
from smoke_run import smoke_run

from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.preprocess import normalise
from spotcheck.training.config import TrainConfig
from spotcheck.training.dataset import load_images, load_records
from spotcheck.training.network import load_run_model
from spotcheck.training.splits import read_manifest

pytestmark = [pytest.mark.training, pytest.mark.slow]

# On probabilities; float32 rounding differences are around 1e-7 (training.publish's PARITY_TOLERANCE).
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Probabilities of both runtimes on the run's train and test images, and the model's metadata."""
    run_dir = smoke_run(tmp_path_factory).run_dir
    config = TrainConfig.of_run(run_dir)
    meta = ModelMetadata.read(run_dir / "model.json")
    model = load_run_model(run_dir)

    # Every split, validation included: the threshold sits between validation scores, not on one.
    split_of = read_manifest(run_dir / "split_manifest.csv")
    records = [r for r in load_records(config.data_dir) if r.image_id in split_of]
    pixels = load_images(records, meta.input)
    with torch.inference_mode():
        expected = model(torch.from_numpy(normalise(pixels, meta.input))).double().numpy()
    actual = OnnxClassifier(run_dir / "model.onnx").class_probabilities(pixels)
    return {"torch": expected, "onnx": actual, "meta": meta, "images": len(records)}


def test_probabilities_agree(outputs: dict[str, Any]) -> None:
    assert outputs["images"] >= 40
    difference = np.abs(outputs["torch"] - outputs["onnx"])
    worst = int(difference.max(axis=1).argmax())
    assert difference.max() < TOLERANCE, json.dumps(
        {"max_abs_diff": float(difference.max()), "image": worst, "torch": outputs["torch"][worst].tolist()}
    )


def test_threshold_decision_agrees_on_every_image(outputs: dict[str, Any]) -> None:
    meta: ModelMetadata = outputs["meta"]
    torch_scores = outputs["torch"][:, meta.malignant_indices].sum(axis=1)
    onnx_scores = outputs["onnx"][:, meta.malignant_indices].sum(axis=1)
    disagree = np.flatnonzero((torch_scores >= meta.threshold) != (onnx_scores >= meta.threshold))
    assert disagree.size == 0, f"images {disagree.tolist()} at threshold {meta.threshold}: {onnx_scores[disagree]}"


def test_batch_size_does_not_change_the_answer(
    outputs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    run_dir = smoke_run(tmp_path_factory).run_dir
    meta: ModelMetadata = outputs["meta"]
    config = TrainConfig.of_run(run_dir)
    split_of = read_manifest(run_dir / "split_manifest.csv")
    records = [r for r in load_records(config.data_dir) if split_of.get(r.image_id) == "test"][:8]
    pixels = load_images(records, meta.input)
    classifier = OnnxClassifier(run_dir / "model.onnx")
    one_by_one = np.concatenate([classifier.class_probabilities(pixels[i : i + 1]) for i in range(len(pixels))])
    np.testing.assert_allclose(one_by_one, classifier.class_probabilities(pixels), atol=TOLERANCE)
