"""Start-up repair of uploads and deletes that a crash cut short (embedded default, sole worker); the
classifier the settings name (in process, a model server, a SageMaker endpoint)."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from conftest import register_and_sign_in, sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import free_port
from spotcheck import runtime as runtime_module
from spotcheck.api import create_app
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.remote import UNKNOWN_VERSION
from spotcheck.classifier.sagemaker import SageMakerClassifier
from spotcheck.config import Settings
from spotcheck.gallery.object_metadata import UPLOAD_ID, UPLOADED_AT
from spotcheck.runtime import build_runtime, model_threads


def _key(keys: list[str], name: str) -> str:
    (key,) = [k for k in keys if k.endswith(f"/{name}")]
    return key


def test_restart_repairs_a_replacement_and_a_delete_cut_short(settings: Settings) -> None:
    first = build_runtime(settings)
    with TestClient(create_app(first)) as client:
        auth = register_and_sign_in(client, "ada@example.org")
        for name in ("mole.jpg", "gone.jpg"):
            assert client.put(f"/images/{name}", content=image_bytes(RED), headers=auth).status_code == 202
            assert wait_for_label(lambda n=name: client.get(f"/detect/{n}", headers=auth)).status_code == 200
        keys = [info.key for info in first.store.list("users/")]
        # A replacement whose object was written but whose row never committed (the process died in between) ...
        first.store.put(
            _key(keys, "mole.jpg"),
            image_bytes(BLUE),
            content_type="image/jpeg",
            metadata={UPLOAD_ID: str(uuid.uuid4()), UPLOADED_AT: "2026-11-26T00:00:00+00:00"},
        )
        # ... and a delete that removed the object but not the row.
        first.store.delete(_key(keys, "gone.jpg"))
        assert client.get("/detect/mole.jpg", headers=auth).status_code == 202  # stuck: no job for that upload

    second = build_runtime(settings)
    with TestClient(create_app(second, sole_worker=True)) as client:
        auth = sign_in(client, "ada@example.org")
        result = wait_for_label(lambda: client.get("/detect/mole.jpg", headers=auth))
        assert result.status_code == 200, result.text
        assert result.json()["classification"] == "BENIGN"  # the body that is stored now
        assert client.get("/detect/gone.jpg", headers=auth).status_code == 404
        listed = [item["fileName"] for item in client.get("/images", headers=auth).json()["items"]]
        assert listed == ["mole.jpg"]


def test_with_a_model_server_down_uploads_are_accepted_and_readyz_names_it(settings: Settings) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    runtime = build_runtime(settings.updated(model_url=url, worker_concurrency=0))
    assert runtime.classifier.version == UNKNOWN_VERSION  # the shipped model is not loaded here
    with TestClient(create_app(runtime)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["model server"].startswith(f"error: model server {url} unreachable")
        auth = register_and_sign_in(client, "ada@example.org")
        assert client.put("/images/mole.jpg", content=image_bytes(RED), headers=auth).status_code == 202
        assert client.get("/detect/mole.jpg", headers=auth).status_code == 202


def test_a_sagemaker_endpoint_is_the_classifier_when_named(settings: Settings) -> None:
    runtime = build_runtime(settings.updated(sagemaker_endpoint="spotcheck-lesion"))
    try:
        assert isinstance(runtime.classifier, SageMakerClassifier)
        assert runtime.classifier.endpoint_name == "spotcheck-lesion"
    finally:
        runtime.stop()


def test_a_worker_process_s_threads_share_the_cores_between_passes() -> None:
    assert model_threads(2, cores=2) == 1  # the labelling process on two cores: a core a pass
    assert model_threads(4, cores=2) == 1
    assert model_threads(1, cores=2) == 2
    assert model_threads(2, cores=16) == 8
    assert model_threads(None, cores=2) is None  # the server's own threads: every core a pass
    assert model_threads(0, cores=2) is None


def test_spotcheck_worker_s_model_runs_a_pass_on_its_share_of_the_cores(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_module, "usable_cores", lambda: 2)
    worker = build_runtime(settings, concurrency=2)
    server = build_runtime(settings)
    try:
        assert isinstance(worker.classifier, OnnxClassifier) and worker.classifier.threads == 1
        assert isinstance(server.classifier, OnnxClassifier) and server.classifier.threads is None
    finally:
        worker.stop()
        server.stop()
