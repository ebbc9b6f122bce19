"""``spotcheck ensemble`` on two small real runs: one model, calibrated on validation, float16 weights."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

import torch
from smoke_run import smoke_run

from spotcheck.classifier.labels import MALIGNANT_DIAGNOSES
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.preprocess import normalise
from spotcheck.training.config import EnsembleConfig, TrainConfig
from spotcheck.training.dataset import load_images, load_records
from spotcheck.training.ensemble import run_ensemble
from spotcheck.training.network import load_run_model
from spotcheck.training.publish import FLOAT16_TOLERANCE, RunSummary
from spotcheck.training.splits import read_manifest

pytestmark = [pytest.mark.training, pytest.mark.slow]


def _second_member(run_dir: Path, destination: Path) -> Path:
    """A copy of the smoke run with perturbed weights: another member trained on the same split."""
    shutil.copytree(run_dir, destination)
    checkpoint = torch.load(destination / "best.pt", map_location="cpu", weights_only=True)
    generator = torch.Generator().manual_seed(1)
    for name, tensor in checkpoint["state_dict"].items():
        if tensor.is_floating_point() and "weight" in name:
            tensor.mul_(1.0 + 0.05 * torch.randn(tensor.shape, generator=generator))
    torch.save(checkpoint, destination / "best.pt")
    return destination


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    first = smoke_run(tmp_path_factory).run_dir
    return [first, _second_member(first, tmp_path_factory.mktemp("member") / "smoke-b")]


@pytest.fixture(scope="module")
def summary(members: list[Path], tmp_path_factory: pytest.TempPathFactory) -> RunSummary:
    recipe = EnsembleConfig(
        members=members,
        output_dir=tmp_path_factory.mktemp("ensemble"),
        run_name="pair",
        tta_flips=2,
        bootstrap_samples=50,
    )
    return run_ensemble(recipe)


def test_run_folder_holds_the_model_and_its_report(summary: RunSummary, members: list[Path]) -> None:
    run_dir = summary.run_dir
    for name in ("ensemble.json", "split_manifest.csv", "model.onnx", "model.json", "summary.json"):
        assert (run_dir / name).is_file(), name
    assert (run_dir / "split_manifest.csv").read_bytes() == (members[0] / "split_manifest.csv").read_bytes()
    report = json.loads((run_dir / "evaluation" / "dermatoscopic" / "evaluation.json").read_text())
    assert report["images"] == summary.details["split_sizes"]["test"]
    meta = ModelMetadata.read(run_dir / "model.json")
    assert re.fullmatch(r"lite0-ham10000-x2-\d{8}-[0-9a-f]{8}", meta.version), meta.version
    assert meta.metrics["test_roc_auc_dermatoscopic"] == pytest.approx(summary.test["dermatoscopic"]["roc_auc"])
    assert OnnxClassifier(run_dir / "model.onnx").version == meta.version


def test_two_members_in_float16_take_the_room_of_one_in_float32(summary: RunSummary, members: list[Path]) -> None:
    member_bytes = (members[0] / "model.onnx").stat().st_size
    assert summary.model_bytes < 1.05 * member_bytes


def test_onnx_agrees_with_the_pytorch_ensemble(summary: RunSummary) -> None:
    run_dir = summary.run_dir
    meta = ModelMetadata.read(run_dir / "model.json")
    config = TrainConfig.of_run(Path(summary.details["members"][0]))
    split_of = read_manifest(run_dir / "split_manifest.csv")
    records = [r for r in load_records(config.data_dir) if r.image_id in split_of]
    pixels = load_images(records, meta.input)
    with torch.inference_mode():
        expected = load_run_model(run_dir)(torch.from_numpy(normalise(pixels, meta.input))).double().numpy()
    actual = OnnxClassifier(run_dir / "model.onnx").class_probabilities(pixels)
    assert 0 < np.abs(expected - actual).max() < FLOAT16_TOLERANCE  # rounded weights, still close


def test_threshold_keeps_the_target_sensitivity_on_validation(summary: RunSummary) -> None:
    run_dir = summary.run_dir
    classifier = OnnxClassifier(run_dir / "model.onnx")
    config = TrainConfig.of_run(Path(summary.details["members"][0]))
    split_of = read_manifest(run_dir / "split_manifest.csv")
    malignant_val = [
        r for r in load_records(config.data_dir) if split_of.get(r.image_id) == "val" and r.dx in MALIGNANT_DIAGNOSES
    ]
    scores = classifier.malignant_probabilities(load_images(malignant_val, classifier.metadata.input))
    assert (scores >= classifier.metadata.threshold).mean() >= 0.95


def test_members_must_share_the_split(members: list[Path], tmp_path: Path) -> None:
    other = tmp_path / "other-seed"
    shutil.copytree(members[1], other)
    config = TrainConfig.of_run(other)
    (other / "config.json").write_text(config.model_copy(update={"seed": config.seed + 1}).model_dump_json())
    with pytest.raises(ValueError, match="trained with other seed"):
        run_ensemble(EnsembleConfig(members=[members[0], other], output_dir=tmp_path, run_name="refused"))
    assert not (tmp_path / "refused").exists()  # refused before anything was written


def test_a_run_listed_twice_is_refused(members: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="listed twice"):
        run_ensemble(EnsembleConfig(members=[members[0], members[0]], output_dir=tmp_path))


def test_an_unfinished_run_is_refused(members: list[Path], tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"lacks config\.json, best\.pt, split_manifest\.csv"):
        run_ensemble(EnsembleConfig(members=[members[0], tmp_path], output_dir=tmp_path))
