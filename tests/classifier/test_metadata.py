from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from spotcheck.classifier import DIAGNOSES, MALIGNANT_DIAGNOSES, InputSpec, ModelMetadata
from spotcheck.photocheck import GateSpec

SPEC = InputSpec(height=150, width=200, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))


def _metadata(**changes: object) -> ModelMetadata:
    fields: dict[str, object] = {
        "name": "test",
        "version": "v1",
        "input": SPEC,
        "classes": DIAGNOSES,
        "malignant_classes": MALIGNANT_DIAGNOSES,
        "threshold": 0.3,
    }
    return ModelMetadata.model_validate(fields | changes)


def test_malignant_classes_must_be_among_the_classes() -> None:
    with pytest.raises(ValidationError, match=r"malignant_classes \['melanoma'\] are not among classes"):
        _metadata(malignant_classes={"mel", "melanoma"})


@pytest.mark.parametrize("threshold", [-0.01, 1.01])
def test_threshold_is_a_probability(threshold: float) -> None:
    with pytest.raises(ValidationError, match="threshold"):
        _metadata(threshold=threshold)


def test_needs_two_classes_and_a_malignant_one() -> None:
    with pytest.raises(ValidationError, match="classes"):
        _metadata(classes=("mel",), malignant_classes={"mel"})
    with pytest.raises(ValidationError, match="malignant_classes"):
        _metadata(malignant_classes=set())


def test_malignant_indices_follow_the_class_order() -> None:
    assert _metadata().malignant_indices == [DIAGNOSES.index(dx) for dx in ("akiec", "bcc", "mel")]


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    meta = _metadata(temperature=1.7, metrics={"test_roc_auc": 0.9})
    meta.write(tmp_path / "m.json")
    assert ModelMetadata.read(tmp_path / "m.json") == meta
    # Sorted, so the file is byte-stable from run to run.
    assert json.loads((tmp_path / "m.json").read_text())["malignant_classes"] == ["akiec", "bcc", "mel"]


def test_a_gate_round_trips_and_is_absent_by_default(tmp_path: Path) -> None:
    assert _metadata().gate is None
    meta = _metadata(gate=GateSpec(min_side=64, min_sharpness=0.1, lesion_threshold=0.35))
    meta.write(tmp_path / "m.json")
    assert ModelMetadata.read(tmp_path / "m.json") == meta
    assert json.loads((tmp_path / "m.json").read_text())["gate"]["lesion_threshold"] == 0.35


@pytest.mark.parametrize("gate", [{"lesion_threshold": 1.5}, {"lesion_threshold": -0.1}, {"min_side": 0}])
def test_a_gate_out_of_range_is_refused(gate: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="gate"):
        _metadata(gate=gate)
