"""The label kept on each stored object: a classification or the photo gate's refusal, never both."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spotcheck.classifier.base import Prediction, Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.gallery.object_metadata import StoredLabel, label_metadata, read_label
from spotcheck.photocheck.reasons import RefusalReason

UPLOADED = {"upload-id": "u-1", "uploaded-at": "2026-05-04T09:59:00+00:00"}
CLASSIFIED_AT = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
PREDICTION = Prediction(Classification.MALIGNANT, 0.87654321, "model-1")
REFUSAL = Refusal(RefusalReason.NOT_A_LESION, "model-1")


def _labelled(current: dict[str, str], assessment: Prediction | Refusal, upload_id: str = "u-1") -> dict[str, str]:
    return label_metadata(current, upload_id=upload_id, assessment=assessment, classified_at=CLASSIFIED_AT)


def test_a_refusal_round_trips() -> None:
    metadata = _labelled(UPLOADED, REFUSAL)
    assert metadata == {
        **UPLOADED,
        "refused": "not-a-lesion",
        "model-version": "model-1",
        "classified-at": "2026-05-04T10:00:00+00:00",
    }
    assert read_label(metadata) == StoredLabel("u-1", CLASSIFIED_AT, REFUSAL)


@pytest.mark.parametrize("reason", list(RefusalReason))
def test_every_reason_round_trips(reason: RefusalReason) -> None:
    label = read_label(_labelled(UPLOADED, Refusal(reason, "model-1")))
    assert label is not None
    assert label.assessment == Refusal(reason, "model-1")


def test_a_classification_round_trips_rounded_as_stored() -> None:
    metadata = _labelled(UPLOADED, PREDICTION)
    assert "refused" not in metadata
    assert metadata["malignant-probability"] == "0.876543"
    assert read_label(metadata) == StoredLabel(
        "u-1", CLASSIFIED_AT, Prediction(Classification.MALIGNANT, 0.876543, "model-1")
    )


def test_the_threshold_a_photo_was_judged_at_round_trips_unrounded() -> None:
    judged = Prediction(Classification.BENIGN, 0.0301, "model-1", threshold=0.03436247073113918)
    metadata = _labelled(UPLOADED, judged)
    label = read_label(metadata)
    assert label is not None and label.assessment == judged


def test_a_label_from_before_thresholds_were_kept_reads_without_one() -> None:
    metadata = _labelled(UPLOADED, Prediction(Classification.BENIGN, 0.03, "model-1", threshold=0.05))
    del metadata["threshold"]
    label = read_label(metadata)
    assert label is not None and label.assessment == Prediction(Classification.BENIGN, 0.03, "model-1")


def test_a_new_label_drops_the_threshold_of_the_one_it_replaces() -> None:
    judged = _labelled(UPLOADED, Prediction(Classification.MALIGNANT, 0.2, "model-1", threshold=0.05))
    assert "threshold" not in _labelled(judged, PREDICTION)  # a classifier that does not say
    assert "threshold" not in _labelled(judged, REFUSAL)


def test_a_refusal_replaces_a_previous_classification() -> None:
    classified = _labelled(UPLOADED, PREDICTION)
    refused = _labelled(classified, Refusal(RefusalReason.BLURRY, "model-2"))
    assert "classification" not in refused and "malignant-probability" not in refused
    assert refused["refused"] == "blurry" and refused["model-version"] == "model-2"
    label = read_label(refused)
    assert label is not None and label.assessment == Refusal(RefusalReason.BLURRY, "model-2")


def test_a_classification_replaces_a_previous_refusal() -> None:
    refused = _labelled(UPLOADED, REFUSAL)
    classified = _labelled(refused, Prediction(Classification.BENIGN, 0.1, "model-2"))
    assert "refused" not in classified
    assert classified["classification"] == "BENIGN" and classified["model-version"] == "model-2"
    label = read_label(classified)
    assert label is not None and label.assessment == Prediction(Classification.BENIGN, 0.1, "model-2")


def test_other_metadata_is_kept_and_the_upload_id_set() -> None:
    metadata = _labelled({**UPLOADED, "owner-note": "kept"}, REFUSAL, upload_id="u-2")
    assert metadata["owner-note"] == "kept" and metadata["uploaded-at"] == UPLOADED["uploaded-at"]
    assert metadata["upload-id"] == "u-2"


def test_an_unknown_refusal_reason_reads_as_no_label() -> None:
    assert read_label({**_labelled(UPLOADED, REFUSAL), "refused": "too-purple"}) is None


def test_an_upload_without_a_label_reads_as_none() -> None:
    assert read_label(UPLOADED) is None
