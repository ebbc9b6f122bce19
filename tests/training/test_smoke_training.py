"""A real, tiny training run: fine-tune, calibrate, export, check parity and evaluate, end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("torch")

from smoke_run import DATA_DIR, smoke_run

from spotcheck.classifier.base import Prediction
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.training.config import TrainConfig
from spotcheck.training.provenance import library_versions
from spotcheck.training.publish import PARITY_TOLERANCE, RunSummary
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
def summary(tmp_path_factory: pytest.TempPathFactory) -> RunSummary:
    return smoke_run(tmp_path_factory)


def test_run_folder_holds_every_output(summary: RunSummary) -> None:
    run_dir = summary.run_dir
    missing = [name for name in RUN_FILES if not (run_dir / name).is_file()]
    assert not missing, f"{run_dir} lacks {missing}"
    assert (run_dir / "evaluation" / "dermatoscopic" / "roc.png").read_bytes().startswith(b"\x89PNG")


def test_config_is_saved_with_the_overrides(summary: RunSummary) -> None:
    config = TrainConfig.of_run(summary.run_dir)
    assert (config.run_name, config.limit_images, config.batch_size, config.epochs) == ("smoke", 70, 16, 1)
    assert config.data_dir == DATA_DIR


def test_one_epoch_logged(summary: RunSummary) -> None:
    lines = (summary.run_dir / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["epoch"] == 1
    assert 0.0 <= record["val_roc_auc"] <= 1.0
    assert record["train_loss"] > 0


def test_splits_and_manifest(summary: RunSummary) -> None:
    manifest = summary.run_dir / "split_manifest.csv"
    split_of = read_manifest(manifest)
    assert len(split_of) == sum(summary.details["split_sizes"].values()) == 70
    assert all(summary.details["split_sizes"][s] > 0 for s in ("train", "val", "test"))
    assert summary.details["manifest_sha256"] == manifest_sha256(manifest)


def test_summary_json_holds_the_summary_and_where_it_came_from(summary: RunSummary) -> None:
    written = json.loads((summary.run_dir / "summary.json").read_text())
    assert written == json.loads(json.dumps(summary.as_json()))
    assert {
        *("run_dir", "best_epoch", "tta_flips", "val_roc_auc", "val_roc_auc_by_domain", "temperature", "threshold"),
        *("threshold_by_domain", "parity_max_abs_diff", "manifest_sha256", "split_sizes", "device"),
        *("torch_threads", "seconds", "test", "model_bytes", "git_commit", "git_dirty", "versions"),
    } == written.keys()
    assert written["versions"] == library_versions()
    # The tests run from a git checkout, or from an unpacked copy without one.
    assert written["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", written["git_commit"])
    assert (written["git_commit"] is None) == (written["git_dirty"] is None)


def test_onnx_agrees_with_pytorch(summary: RunSummary) -> None:
    assert summary.parity_max_abs_diff < PARITY_TOLERANCE


def test_exported_model_loads_with_its_metadata(summary: RunSummary) -> None:
    model = summary.run_dir / "model.onnx"
    classifier = OnnxClassifier(model)
    meta = ModelMetadata.read(model.with_suffix(".json"))
    assert classifier.version == meta.version
    # recipe name, date, fingerprint of the weights and the recipe
    assert re.fullmatch(r"lite0-ham10000-\d{8}-[0-9a-f]{8}", meta.version), meta.version
    assert meta.threshold == pytest.approx(summary.details["threshold"])
    assert meta.temperature == pytest.approx(summary.details["temperature"])
    assert (meta.input.height, meta.input.width) == (150, 200)
    assert meta.name == "SpotCheck lesion classifier (EfficientNet-Lite0)"  # the recipe's backbone
    assert meta.metrics["test_roc_auc_dermatoscopic"] == pytest.approx(summary.test["dermatoscopic"]["roc_auc"])
    # A new run's graph carries the heatmap from its export, over the last feature map of 5 x 7 positions.
    assert classifier.gives_heatmaps and meta.heatmap is not None
    (prediction,) = classifier.classify_with_heatmaps([Image.new("RGB", (200, 150), (150, 90, 80))])
    assert isinstance(prediction, Prediction) and prediction.heatmap is not None
    assert prediction.heatmap.weights.shape == (5, 7)


def test_evaluation_covers_the_test_split(summary: RunSummary) -> None:
    evaluation = json.loads((summary.run_dir / "evaluation" / "dermatoscopic" / "evaluation.json").read_text())
    assert evaluation["images"] == summary.details["split_sizes"]["test"]
    assert evaluation["threshold"] == pytest.approx(summary.details["threshold"])
    low, high = evaluation["roc_auc_ci95"]
    assert low <= evaluation["roc_auc"] <= high
    assert "ROC AUC" in (summary.run_dir / "evaluation" / "dermatoscopic" / "evaluation.md").read_text()


def test_from_checkpoint_recalibrates_without_training(
    summary: RunSummary, tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    import shutil

    from spotcheck.training.pipeline import run_training

    run_dir = summary.run_dir
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    epochs_before = (copy / "metrics.jsonl").read_text()
    config = TrainConfig.of_run(run_dir)
    stricter = config.model_copy(update={"output_dir": tmp_path, "target_sensitivity": 1.0})

    again = run_training(stricter, from_checkpoint=True)

    assert (copy / "metrics.jsonl").read_text() == epochs_before  # no epoch was trained
    # sensitivity 1.0 needs a threshold at least as low
    assert again.details["threshold"] <= summary.details["threshold"]
    recalibrated = ModelMetadata.read(copy / "model.json")
    assert recalibrated.threshold == again.details["threshold"]
    assert recalibrated.version != ModelMetadata.read(run_dir / "model.json").version  # another recipe
    with pytest.raises(ValueError, match="seed"):
        run_training(stricter.model_copy(update={"seed": config.seed + 1}), from_checkpoint=True)
