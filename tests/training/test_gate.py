"""`spotcheck gate` on the smoke run: a lesion head fitted against photos of other things, exported with the model."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

import onnx
from PIL import Image
from smoke_run import DATA_DIR, smoke_run

from spotcheck.classifier.base import Prediction, Refusal
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import HEATMAP_OUTPUT, LESION_OUTPUT, OnnxClassifier
from spotcheck.photocheck.reasons import RefusalReason
from spotcheck.training.gate import GateConfig, run_gate
from spotcheck.training.publish import RunSummary

pytestmark = [pytest.mark.training, pytest.mark.slow]


def _other_photos(folder: Path) -> Path:
    """Synthetic ordinary photos: striped 'documents', blue-green 'scenes' and grey 'objects'."""
    rng = np.random.default_rng(0)
    (folder / "images").mkdir(parents=True)
    rows = []
    for i in range(45):
        category = ("document", "scene", "object")[i % 3]
        base = {"document": (235, 235, 235), "scene": (60, 140, 200), "object": (120, 120, 120)}[category]
        pixels = np.clip(rng.normal(base, 25, size=(160, 220, 3)), 0, 255).astype(np.uint8)
        if category == "document":
            pixels[::12] = 20  # lines of text
        Image.fromarray(pixels).save(folder / "images" / f"dev_{i:05d}.jpg", quality=92)
        rows.append({"image_id": f"dev_{i:05d}", "category": category})
    with (folder / "labels.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["image_id", "category"])
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> RunSummary:
    run_dir = smoke_run(tmp_path_factory).run_dir
    tmp = tmp_path_factory.mktemp("gate")
    config = GateConfig(
        run=run_dir,
        negatives_dir=_other_photos(tmp / "others"),
        output_dir=tmp,
        run_name="gated",
        dermatoscopic_train_sample=30,
        bootstrap_samples=50,
    )
    return run_gate(config)


def test_the_graph_gains_a_lesion_output_and_the_metadata_its_threshold(gated: RunSummary) -> None:
    run_dir = gated.run_dir
    graph = onnx.load(str(run_dir / "model.onnx"))
    assert [output.name for output in graph.graph.output] == ["probabilities", LESION_OUTPUT, HEATMAP_OUTPUT]
    meta = ModelMetadata.read(run_dir / "model.json")
    assert meta.heatmap is not None and meta.heatmap.views == 1
    assert meta.gate is not None
    assert meta.gate.lesion_threshold == pytest.approx(gated.details["lesion_head"]["threshold"])
    assert gated.parity_max_abs_diff < 5e-3
    assert (run_dir / "split_manifest.csv").is_file()


def test_the_gate_refuses_other_photos_and_keeps_lesions(gated: RunSummary) -> None:
    figures = gated.details["gate"]["val"]
    assert figures["other"]["refused"] >= 0.9 * figures["other"]["photos"]
    lesions = figures["lesion_dermatoscopic"]
    assert lesions["refused"] <= 0.2 * lesions["photos"]


def test_the_gated_model_refuses_a_document_and_answers_a_lesion(gated: RunSummary) -> None:
    classifier = OnnxClassifier(gated.run_dir / "model.onnx")
    others = gated.run_dir.parent / "others" / "images"
    document = Image.open(others / "dev_00000.jpg").convert("RGB")
    refused = classifier.classify([document])[0]
    assert isinstance(refused, Refusal) and refused.reason is RefusalReason.NOT_A_LESION
    answered = classifier.classify([Image.open(DATA_DIR / "images" / "ISIC_0024310.jpg").convert("RGB")])[0]
    assert isinstance(answered, Prediction)


def test_the_gate_may_write_into_the_run_it_reads(tmp_path_factory: pytest.TempPathFactory) -> None:
    run_dir = tmp_path_factory.mktemp("in-place") / "run"
    shutil.copytree(smoke_run(tmp_path_factory).run_dir, run_dir)
    config = GateConfig(
        run=run_dir,
        negatives_dir=_other_photos(tmp_path_factory.mktemp("others-in-place")),
        output_dir=run_dir.parent,
        run_name=run_dir.name,  # `spotcheck gate RUN --out RUN`: the manifest is already there
        dermatoscopic_train_sample=30,
        bootstrap_samples=50,
    )
    assert run_gate(config).run_dir == run_dir
    assert ModelMetadata.read(run_dir / "model.json").gate is not None
