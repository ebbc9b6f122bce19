"""`spotcheck model-server` as a real process: OIP v2 (health, metadata, infer), SageMaker's contract,
bad requests answered 4xx, concurrent requests sharing network passes; and the two clients of it."""

from __future__ import annotations

import base64
import io
import json
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from images import image_bytes
from live_server import free_port
from model_server import ModelServer, SageMakerRuntime
from spotcheck.classifier import Classification, Prediction, Refusal
from spotcheck.classifier.base import ModelServerUnavailableError
from spotcheck.classifier.heatmap import heatmap_image
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import metadata_path_for
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.classifier.remote import UNKNOWN_VERSION, ModelServerError, RemoteClassifier
from spotcheck.classifier.sagemaker import SageMakerClassifier
from spotcheck.photocheck.reasons import RefusalReason

pytestmark = pytest.mark.slow

DATA_DIR = (Path(__file__).resolve().parents[2] / "../shared/datasets/ham10000-200x150/images").resolve()
MELANOMA = DATA_DIR / "ISIC_0024310.jpg"  # README's melanoma
NEVUS = DATA_DIR / "ISIC_0024365.jpg"
INFER = "/v2/models/spotcheck-lesion/infer"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelServer]:
    if not MELANOMA.is_file():
        pytest.skip(f"the shared data set is not at {DATA_DIR}")
    # A wait long enough that requests sent together surely meet in one pass on a busy machine.
    with ModelServer(log_dir=tmp_path_factory.mktemp("model-server"), args=("--max-wait-ms", "50")) as running:
        yield running


def _infer_body(*photos: bytes) -> dict[str, Any]:
    return {
        "inputs": [
            {
                "name": "image",
                "datatype": "BYTES",
                "shape": [len(photos)],
                "parameters": {"content_type": "base64"},
                "data": [base64.b64encode(photo).decode() for photo in photos],
            }
        ]
    }


def _outputs(answer: httpx.Response) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {output["name"]: output for output in answer.json()["outputs"]}


def test_health_and_metadata(server: ModelServer) -> None:
    assert httpx.get(f"{server.url}/v2/health/live").status_code == 200
    assert httpx.get(f"{server.url}/v2/health/ready").json() == {"ready": True}
    metadata = httpx.get(f"{server.url}/v2/models/spotcheck-lesion").json()
    assert metadata["name"] == "spotcheck-lesion"
    assert metadata["versions"] and metadata["versions"][0].startswith("lite0-")
    assert metadata["inputs"] == [{"name": "image", "datatype": "BYTES", "shape": [-1]}]
    assert {o["name"]: o["datatype"] for o in metadata["outputs"]} == {
        "classification": "BYTES",
        "malignant_probability": "FP32",
        "refused": "BYTES",
        "model_version": "BYTES",
        "threshold": "FP32",
        "heatmap": "BYTES",
    }


def test_infer_answers_as_spotcheck_classify(server: ModelServer) -> None:
    answer = httpx.post(f"{server.url}{INFER}", json=_infer_body(MELANOMA.read_bytes(), NEVUS.read_bytes()), timeout=30)
    outputs = _outputs(answer)
    assert outputs["classification"]["data"] == ["MALIGNANT", "BENIGN"]
    assert outputs["malignant_probability"]["datatype"] == "FP32"
    assert outputs["refused"]["data"] == ["", ""]
    version = httpx.get(f"{server.url}/v2/models/spotcheck-lesion").json()["versions"][0]
    assert outputs["model_version"]["data"] == [version, version]
    assert answer.json()["model_version"] == version
    printed = subprocess.run(
        [sys.executable, "-m", "spotcheck", "classify", "--format", "jsonl", str(MELANOMA), str(NEVUS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = [json.loads(line) for line in printed.stdout.splitlines()]
    # FP32 on the wire: a value on a rounding edge may round the other way than the float64 one.
    printed_probabilities = [r["malignantProbability"] for r in rows]
    assert outputs["malignant_probability"]["data"] == pytest.approx(printed_probabilities, abs=2e-6)
    # Both are dermatoscopic images: judged at the route's own threshold, which the answer says.
    route = ModelMetadata.read(metadata_path_for(packaged_model_path())).dermatoscopic_route
    assert route is not None
    assert outputs["threshold"]["data"] == pytest.approx([route.threshold] * 2)
    assert [r["threshold"] for r in rows] == pytest.approx([route.threshold] * 2)


def _png(text: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(text)))
    assert image.format == "PNG"
    return image


def test_the_heatmap_output_is_a_png_at_each_photos_size_when_asked_for(server: ModelServer) -> None:
    with Image.open(NEVUS) as nevus:
        larger = io.BytesIO()
        nevus.resize((400, 300)).save(larger, format="PNG")
    tiny = image_bytes((120, 80, 60), size=(40, 40))
    body = _infer_body(MELANOMA.read_bytes(), larger.getvalue(), tiny)
    asked = {**body, "outputs": [{"name": "classification"}, {"name": "heatmap"}]}
    outputs = _outputs(httpx.post(f"{server.url}{INFER}", json=asked, timeout=30))
    assert list(outputs) == ["classification", "heatmap"]  # what was named, and no more
    assert outputs["classification"]["data"] == ["MALIGNANT", "BENIGN", ""]
    assert outputs["heatmap"]["datatype"] == "BYTES"
    melanoma_map, nevus_map, refused = outputs["heatmap"]["data"]
    assert refused == ""
    melanoma, nevus = _png(melanoma_map), _png(nevus_map)
    assert (melanoma.mode, melanoma.size, nevus.size) == ("L", (200, 150), (400, 300))
    assert melanoma.tobytes() != nevus.resize((200, 150)).tobytes()
    assert max(melanoma.tobytes()) == 255  # scaled per photo

    plain = _outputs(httpx.post(f"{server.url}{INFER}", json=body, timeout=30))
    assert set(plain) == {"classification", "malignant_probability", "refused", "model_version", "threshold"}
    assert plain["threshold"]["data"][2] == 0.0  # the refused photo was not judged
    unknown = httpx.post(f"{server.url}{INFER}", json={**body, "outputs": [{"name": "saliency"}]}, timeout=30)
    assert unknown.status_code == 400 and "saliency" in unknown.text


def test_a_photo_the_gate_refuses_is_answered_with_its_reason(server: ModelServer) -> None:
    tiny = image_bytes((120, 80, 60), size=(40, 40))  # under the gate's smallest side
    outputs = _outputs(httpx.post(f"{server.url}{INFER}", json=_infer_body(tiny), timeout=30))
    assert outputs["classification"]["data"] == [""]
    assert outputs["refused"]["data"] == ["too-small"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["eA=="]}]}, "content_type"),
        (_infer_body(b"not a photo"), "no JPEG, PNG, WebP or HEIC"),
        ({"inputs": [{"name": "pixels", "datatype": "FP32", "shape": [1], "data": [0.0]}]}, "exactly one input"),
    ],
)
def test_bad_infer_requests_are_refused_with_a_reason(server: ModelServer, body: dict[str, Any], says: str) -> None:
    answer = httpx.post(f"{server.url}{INFER}", json=body, timeout=30)
    assert answer.status_code == 400
    assert says in answer.text


def _binary_infer(server: ModelServer, element: bytes, parameters: dict[str, Any]) -> httpx.Response:
    """The binary-data extension: the JSON header, then each BYTES element as a 4-byte length and its bytes."""
    raw = struct.pack("<I", len(element)) + element
    sized = {**parameters, "binary_data_size": len(raw)}
    tensor = {"name": "image", "datatype": "BYTES", "shape": [1], "parameters": sized}
    header = json.dumps({"inputs": [tensor]}).encode()
    return httpx.post(
        f"{server.url}{INFER}",
        content=header + raw,
        headers={"Inference-Header-Content-Length": str(len(header)), "Content-Type": "application/octet-stream"},
        timeout=30,
    )


def test_the_binary_data_extension_carries_base64_text(server: ModelServer) -> None:
    photo = MELANOMA.read_bytes()
    outputs = _outputs(_binary_infer(server, base64.b64encode(photo), {"content_type": "base64"}))
    assert outputs["classification"]["data"] == ["MALIGNANT"]
    raw = _binary_infer(server, photo, {})  # KServe passes BYTES on only as UTF-8 text
    assert raw.status_code == 400
    assert "base64" in raw.json()["error"]


def test_sagemaker_contract(server: ModelServer) -> None:
    assert httpx.get(f"{server.url}/ping").status_code == 200
    answer = httpx.post(
        f"{server.url}/invocations", content=MELANOMA.read_bytes(), headers={"Content-Type": "image/jpeg"}, timeout=30
    )
    assert answer.status_code == 200
    report = answer.json()
    assert report["classification"] == "MALIGNANT"
    assert set(report) == {"classification", "malignantProbability", "modelVersion", "threshold"}
    assert report["malignantProbability"] >= report["threshold"]
    refused = httpx.post(f"{server.url}/invocations", content=b"{}", headers={"Content-Type": "application/json"})
    assert refused.status_code == 415 and "image/jpeg" in refused.json()["error"]
    damaged = httpx.post(f"{server.url}/invocations", content=b"\xff\xd8junk", headers={"Content-Type": "image/jpeg"})
    assert damaged.status_code == 400


def _counter(server: ModelServer, name: str) -> float:
    for line in httpx.get(f"{server.url}/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} missing from /metrics")


def test_concurrent_requests_share_network_passes(server: ModelServer) -> None:
    callers = 12
    body = _infer_body(NEVUS.read_bytes())
    passes = _counter(server, "spotcheck_model_server_passes_total")
    photos = _counter(server, "spotcheck_model_server_photos_total")
    start = threading.Barrier(callers)
    answers: list[str] = []

    def call() -> None:
        with httpx.Client(timeout=60) as client:
            client.get(f"{server.url}/v2/health/live")  # connected before the barrier
            start.wait()
            answers.append(_outputs(client.post(f"{server.url}{INFER}", json=body))["classification"]["data"][0])

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["BENIGN"] * callers
    assert _counter(server, "spotcheck_model_server_photos_total") - photos == callers
    assert _counter(server, "spotcheck_model_server_passes_total") - passes < callers


# --- the clients: the OIP v2 classifier and the SageMaker one ----------------------------------


def test_remote_classifier_labels_with_the_servers_version(server: ModelServer) -> None:
    classifier = RemoteClassifier(server.url, timeout=30)
    version = httpx.get(f"{server.url}/v2/models/spotcheck-lesion").json()["versions"][0]
    assert classifier.version == version  # read at start-up, before any photo
    with Image.open(MELANOMA) as melanoma, Image.open(NEVUS) as nevus:
        photos = [melanoma.convert("RGB"), nevus.convert("RGB"), Image.new("RGB", (40, 40), (120, 80, 60))]
    try:
        melanoma_label, nevus_label, refusal = classifier.classify(photos)
        classifier.check()
    finally:
        classifier.close()
    assert isinstance(melanoma_label, Prediction) and melanoma_label.classification is Classification.MALIGNANT
    assert isinstance(nevus_label, Prediction) and nevus_label.classification is Classification.BENIGN
    assert isinstance(refusal, Refusal) and refusal.reason is RefusalReason.TOO_SMALL
    assert {melanoma_label.model_version, refusal.model_version} == {version}
    route = ModelMetadata.read(metadata_path_for(packaged_model_path())).dermatoscopic_route
    assert route is not None  # both photos are dermatoscopic: the label keeps the route's threshold (FP32 on the wire)
    assert melanoma_label.threshold == nevus_label.threshold == pytest.approx(route.threshold, rel=1e-6)


def test_remote_classifier_asks_for_heatmaps_only_when_told(server: ModelServer) -> None:
    classifier = RemoteClassifier(server.url, timeout=30)
    with Image.open(MELANOMA) as melanoma:
        photo = melanoma.convert("RGB")
    try:
        [plain] = classifier.classify([photo])
        [mapped, refused] = classifier.classify_with_heatmaps([photo, Image.new("RGB", (40, 40), (120, 80, 60))])
    finally:
        classifier.close()
    assert isinstance(plain, Prediction) and plain.heatmap is None
    assert isinstance(refused, Refusal)
    assert isinstance(mapped, Prediction) and mapped.heatmap is not None
    assert mapped.heatmap.weights.shape == (150, 200)
    assert heatmap_image(mapped.heatmap, (400, 300)).size == (400, 300)


def test_an_unreachable_model_server_is_an_outage() -> None:
    classifier = RemoteClassifier(f"http://127.0.0.1:{free_port()}", timeout=5)
    try:
        assert classifier.version == UNKNOWN_VERSION
        with pytest.raises(ModelServerUnavailableError, match="unreachable"):
            classifier.classify([Image.new("RGB", (200, 150))])
        with pytest.raises(ModelServerUnavailableError):
            classifier.check()
    finally:
        classifier.close()


def test_sagemaker_classifier_invokes_the_endpoint(server: ModelServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with SageMakerRuntime(server.url, "spotcheck") as runtime:
        classifier = SageMakerClassifier("spotcheck", region="us-east-1", endpoint_url=runtime.url)
        with Image.open(MELANOMA) as melanoma:
            [label] = classifier.classify([melanoma.convert("RGB")])
        assert isinstance(label, Prediction) and label.classification is Classification.MALIGNANT
        assert classifier.version == label.model_version != UNKNOWN_VERSION
        missing = SageMakerClassifier("no-such-endpoint", region="us-east-1", endpoint_url=runtime.url)
        with pytest.raises(ModelServerError):
            missing.classify([Image.new("RGB", (200, 150))])


def _model_server_fails(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spotcheck", "model-server", "--host", "127.0.0.1", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_model_server_refuses_to_start_with_a_clear_message(tmp_path: Path) -> None:
    missing = _model_server_fails("--port", "0", "--model", str(tmp_path / "none.onnx"))
    assert missing.returncode == 2
    assert "cannot start without a model" in missing.stderr and "Traceback" not in missing.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = _model_server_fails("--port", str(taken.getsockname()[1]))
    assert busy.returncode == 2
    assert "cannot listen on 127.0.0.1" in busy.stderr and "Traceback" not in busy.stderr
