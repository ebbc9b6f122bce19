"""A server whose workers run in a labelling process reports that process's worker counters, not its own."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from spotcheck.observability.metrics import WORKER_FAMILIES, exposition, model_loaded, worker_exposition


def _child_text() -> str:
    child = CollectorRegistry()
    labels = Counter("spotcheck_labels", "labels", ["classification", "model_version"], registry=child)
    labels.labels(classification="BENIGN", model_version="child-model").inc(3)
    return generate_latest(child).decode()


def test_the_child_s_worker_counters_replace_the_server_s() -> None:
    model_loaded("server-model")  # the server's own label series, at zero
    text = exposition(worker_text=_child_text).decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    samples = [(sample.labels, sample.value) for sample in families["spotcheck_labels"].samples]
    assert samples == [({"classification": "BENIGN", "model_version": "child-model"}, 3.0)]
    assert text.count("# TYPE spotcheck_labels_total counter") == 1
    assert "spotcheck_uploads_accepted" in families  # what the server counts itself stays


def test_before_the_child_wrote_any_the_server_s_own_are_reported() -> None:
    model_loaded("server-model")
    families = {f.name: f for f in text_string_to_metric_families(exposition(worker_text=lambda: None).decode())}
    versions = {sample.labels["model_version"] for sample in families["spotcheck_labels"].samples}
    assert "server-model" in versions


def test_a_worker_exposition_holds_the_worker_families_alone() -> None:
    model_loaded("worker-model")
    names = {family.name for family in text_string_to_metric_families(worker_exposition().decode())}
    assert names == WORKER_FAMILIES
