"""The metadata's test-metric keys: one definition that training writes with and the API reads with."""

from __future__ import annotations

import pytest

from spotcheck.classifier.metric_keys import KEY_METRICS, metric_by_kind, metric_key


def test_keys_are_named_by_metric_then_kind_of_photo() -> None:
    assert metric_key("specificity", "smartphone") == "test_specificity_smartphone"
    assert metric_key("expected_calibration_error", "dermatoscopic") == "test_expected_calibration_error_dermatoscopic"


def test_every_key_built_is_read_back_under_its_own_metric_only() -> None:
    metrics = {
        metric_key(m, kind): float(i) for i, m in enumerate(KEY_METRICS) for kind in ("dermatoscopic", "smartphone")
    }
    for i, metric in enumerate(KEY_METRICS):
        assert metric_by_kind(metrics, metric) == {"dermatoscopic": float(i), "smartphone": float(i)}


def test_other_keys_are_ignored() -> None:
    assert metric_by_kind({"test_roc_auc": 0.9, "val_sensitivity_smartphone": 0.8}, "sensitivity") == {}


def test_an_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown key metric 'accuracy'"):
        metric_key("accuracy", "smartphone")  # type: ignore[arg-type]
