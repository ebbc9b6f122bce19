"""``spotcheck evaluate`` end to end with the tiny model, and the errors of ``spotcheck train``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from images import BLUE, RED
from spotcheck.cli import app

pytestmark = pytest.mark.training

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    """Four red melanomas and four blue nevi in the shared-folder layout, each its own lesion."""
    root = tmp_path / "data"
    (root / "images").mkdir(parents=True)
    lines = ["lesion_id,image_id,dx"]
    for i in range(8):
        dx, colour = ("mel", RED) if i < 4 else ("nv", BLUE)
        Image.new("RGB", (40, 30), colour).save(root / "images" / f"ISIC_{i:07d}.jpg")
        lines.append(f"HAM_{i:07d},ISIC_{i:07d},{dx}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return root


def test_evaluate_writes_the_report(labelled: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    command = ["evaluate", str(labelled), "--model", str(tiny_model_path), "--out", str(out), "--bootstrap", "50"]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "ROC AUC 1.000" in result.stdout
    metrics = json.loads((out / "dermatoscopic" / "evaluation.json").read_text())
    assert (metrics["images"], metrics["malignant"], metrics["sensitivity"], metrics["specificity"]) == (8, 4, 1.0, 1.0)
    assert metrics["balanced_accuracy_7class"] >= 0.0
    assert metrics["bootstrap_resamples"] == "lesions or patients"
    assert {p.name for p in out.iterdir()} == {"dermatoscopic"}  # no phone photos in this folder
    report = {p.name for p in (out / "dermatoscopic").iterdir()}
    assert report == {"evaluation.json", "evaluation.md", "roc.png", "reliability.png"}


def test_evaluate_one_split_of_a_manifest(labelled: Path, tiny_model_path: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    rows = [
        f"ISIC_{i:07d},HAM_{i:07d},{'mel' if i < 4 else 'nv'},{'val' if i in (0, 1, 5) else 'train'}" for i in range(8)
    ]
    manifest.write_text("image_id,lesion_id,dx,split\n" + "\n".join(rows) + "\n")
    out = tmp_path / "report"
    command = ["evaluate", str(labelled), "--model", str(tiny_model_path), "--out", str(out), "--bootstrap", "20"]
    result = CliRunner().invoke(app, [*command, "--manifest", str(manifest), "--split", "val"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "dermatoscopic" / "evaluation.json").read_text())["images"] == 3

    result = CliRunner().invoke(app, [*command, "--manifest", str(manifest), "--split", "test"])
    assert result.exit_code == 2
    assert "no labelled images selected" in result.stderr


def test_evaluate_reports_a_missing_model_or_data_set(labelled: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(labelled), "--model", str(tmp_path / "none.onnx")])
    assert result.exit_code == 2
    assert "no model at" in result.stderr
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "nowhere"), "--model", str(tiny_model_path)])
    assert result.exit_code == 2
    assert "holds none of metadata.csv" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-c", "no-such-recipe.toml"], "invalid training configuration no-such-recipe.toml"),
        (["-o", "epochs"], "override 'epochs' is not of the form key=value"),
        (["-o", "learning_rate=0.1"], "learning_rate"),
        (["-o", "epochs=0"], "greater than or equal to 1"),
    ],
)
def test_train_rejects_a_bad_configuration(arguments: list[str], message: str) -> None:
    pytest.importorskip("torch")
    result = CliRunner().invoke(app, ["train", *arguments])
    assert result.exit_code == 2
    assert message in result.stderr


def test_train_reports_a_missing_data_set(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    overrides = [f"data_dir={tmp_path / 'nowhere'}", f"output_dir={tmp_path / 'runs'}"]
    result = CliRunner().invoke(app, ["train", *[arg for o in overrides for arg in ("-o", o)]])
    assert result.exit_code == 2
    assert "holds none of metadata.csv, HAM10000_metadata.csv" in result.stderr


def test_ensemble_refuses_folders_that_are_not_runs(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    result = CliRunner().invoke(app, ["ensemble", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'a'} is not a finished training run: it lacks config.json" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["--tta-flips", "3"], "tta_flips"), (["--target-sensitivity", "1.5"], "target_sensitivity")],
)
def test_ensemble_rejects_bad_settings(tmp_path: Path, arguments: list[str], message: str) -> None:
    pytest.importorskip("torch")
    result = CliRunner().invoke(app, ["ensemble", str(tmp_path / "a"), str(tmp_path / "b"), *arguments])
    assert result.exit_code == 2
    assert "invalid ensemble" in result.stderr and message in result.stderr


def test_ensemble_needs_two_runs(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    result = CliRunner().invoke(app, ["ensemble", str(tmp_path)])
    assert result.exit_code == 2
    assert "at least 2 items" in result.stderr
