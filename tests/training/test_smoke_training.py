"""A real, tiny training run: fine-tune, calibrate, export, check parity and evaluate, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

pytest.importorskip("torch")

from smoke_run import DATA_DIR, smoke_run

from spotcheck.classifier.base import Prediction
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.training.config import TrainConfig
from spotcheck.training.pipeline import PARITY_TOLERANCE
from spotcheck.training.splits import manifest_sha256, read_manifest

pytestmark = [pytest.mark.training, pytest.mark.slow]

RUN_FILES = [
    "config.json",
    "split_manifest.csv",
    "metrics.jsonl",
    "best.pt",
    "model.onnx",
    "model.json",
    "summary.json",
    "evaluation/dermatoscopic/evaluation.json",
    "evaluation/dermatoscopic/evaluation.md",
    "evaluation/dermatoscopic/roc.png",
    "evaluation/dermatoscopic/reliability.png",
]


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return smoke_run(tmp_path_factory)


def test_run_folder_holds_every_output(summary: dict[str, Any]) -> None:
    run_dir = Path(summary["run_dir"])
    missing = [name for name in RUN_FILES if not (run_dir / name).is_file()]
    assert not missing, f"{run_dir} lacks {missing}"
    assert (run_dir / "evaluation" / "dermatoscopic" / "roc.png").read_bytes().startswith(b"\x89PNG")


def test_config_is_saved_with_the_overrides(summary: dict[str, Any]) -> None:
    config = TrainConfig.of_run(Path(summary["run_dir"]))
    assert (config.run_name, config.limit_images, config.batch_size, config.epochs) == ("smoke", 70, 16, 1)
    assert config.data_dir == DATA_DIR


def test_one_epoch_logged(summary: dict[str, Any]) -> None:
    lines = (Path(summary["run_dir"]) / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["epoch"] == 1
    assert 0.0 <= record["val_roc_auc"] <= 1.0
    assert record["train_loss"] > 0


def test_splits_and_manifest(summary: dict[str, Any]) -> None:
    manifest = Path(summary["run_dir"]) / "split_manifest.csv"
    split_of = read_manifest(manifest)
    assert len(split_of) == sum(summary["split_sizes"].values()) == 70
    assert all(summary["split_sizes"][s] > 0 for s in ("train", "val", "test"))
    assert summary["manifest_sha256"] == manifest_sha256(manifest)


def test_onnx_agrees_with_pytorch(summary: dict[str, Any]) -> None:
    assert summary["parity_max_abs_diff"] < PARITY_TOLERANCE


def test_exported_model_loads_with_its_metadata(summary: dict[str, Any]) -> None:
    model = Path(summary["run_dir"]) / "model.onnx"
    classifier = OnnxClassifier(model)
    meta = ModelMetadata.read(model.with_suffix(".json"))
    assert classifier.version == meta.version
    # recipe name, date, fingerprint of the weights and the recipe
    assert re.fullmatch(r"lite0-ham10000-\d{8}-[0-9a-f]{8}", meta.version), meta.version
    assert meta.threshold == pytest.approx(summary["threshold"])
    assert meta.temperature == pytest.approx(summary["temperature"])
    assert (meta.input.height, meta.input.width) == (150, 200)
    assert meta.metrics["test_roc_auc_dermatoscopic"] == pytest.approx(summary["test"]["dermatoscopic"]["roc_auc"])
    # A new run's graph carries the heatmap from its export, over the last feature map of 5 x 7 positions.
    assert classifier.gives_heatmaps and meta.heatmap is not None
    (prediction,) = classifier.classify([Image.new("RGB", (200, 150), (150, 90, 80))])
    assert isinstance(prediction, Prediction) and prediction.heatmap is not None
    assert prediction.heatmap.weights.shape == (5, 7)


def test_evaluation_covers_the_test_split(summary: dict[str, Any]) -> None:
    evaluation = json.loads((Path(summary["run_dir"]) / "evaluation" / "dermatoscopic" / "evaluation.json").read_text())
    assert evaluation["images"] == summary["split_sizes"]["test"]
    assert evaluation["threshold"] == pytest.approx(summary["threshold"])
    low, high = evaluation["roc_auc_ci95"]
    assert low <= evaluation["roc_auc"] <= high
    assert "ROC AUC" in (Path(summary["run_dir"]) / "evaluation" / "dermatoscopic" / "evaluation.md").read_text()


def test_from_checkpoint_recalibrates_without_training(
    summary: dict[str, Any], tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    import shutil

    from spotcheck.training.pipeline import run_training

    run_dir = Path(summary["run_dir"])
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    epochs_before = (copy / "metrics.jsonl").read_text()
    config = TrainConfig.of_run(run_dir)
    stricter = config.model_copy(update={"output_dir": tmp_path, "target_sensitivity": 1.0})

    again = run_training(stricter, from_checkpoint=True)

    assert (copy / "metrics.jsonl").read_text() == epochs_before  # no epoch was trained
    assert again["threshold"] <= summary["threshold"]  # sensitivity 1.0 needs a threshold at least as low
    recalibrated = ModelMetadata.read(copy / "model.json")
    assert recalibrated.threshold == again["threshold"]
    assert recalibrated.version != ModelMetadata.read(run_dir / "model.json").version  # another recipe
    with pytest.raises(ValueError, match="seed"):
        run_training(stricter.model_copy(update={"seed": config.seed + 1}), from_checkpoint=True)
