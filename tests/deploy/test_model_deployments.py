"""The model's deployments as code: the Triton configuration fits the shipped ONNX graph, the KServe
InferenceService runs the model server with valid Kubernetes containers, and the SAM template's
ingest function calls the SageMaker endpoint it defines."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import numpy as np
import onnxruntime as ort
import yaml

from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.packaged import packaged_model_path

DEPLOY = Path(__file__).parents[2] / "deploy"
TRITON_CONFIG = DEPLOY / "triton" / "model_repository" / "spotcheck-lesion" / "config.pbtxt"
INFERENCE_SERVICE = DEPLOY / "kserve" / "inferenceservice.yaml"
TEMPLATE = DEPLOY / "aws" / "template.yaml"


def _tensors(config: str, section: str) -> dict[str, tuple[str, list[int]]]:
    """name -> (data type, dims) of the ``input`` or ``output`` list of a config.pbtxt."""
    body = re.search(rf"^{section} \[(.*?)^\]", config, re.S | re.M)
    assert body is not None, f"no {section} list"
    found = {}
    for block in re.findall(r"\{(.*?)\n  \}", body.group(1), re.S):
        name = re.search(r'name: "(\w+)"', block)
        dtype = re.search(r"data_type: (\w+)", block)
        dims = re.search(r"^\s*dims: \[([^\]]*)\]", block, re.M)
        assert name and dtype and dims
        found[name.group(1)] = (dtype.group(1), [int(d) for d in dims.group(1).split(",") if d.strip()])
    return found


def test_the_triton_configuration_fits_the_shipped_graph() -> None:
    config = TRITON_CONFIG.read_text()
    session = ort.InferenceSession(str(packaged_model_path()), providers=["CPUExecutionProvider"])
    metadata = ModelMetadata.read(packaged_model_path().with_suffix(".json"))
    assert re.search(r'^name: "spotcheck-lesion"$', config, re.M)
    assert re.search(r'^platform: "onnxruntime_onnx"$', config, re.M)
    assert "dynamic_batching {" in config and re.search(r"^max_batch_size: [1-9]", config, re.M)
    [graph_input] = session.get_inputs()
    assert _tensors(config, "input") == {
        graph_input.name: ("TYPE_FP32", [3, metadata.input.height, metadata.input.width])
    }
    assert graph_input.shape[1:] == [3, metadata.input.height, metadata.input.width]
    outputs = {o.name: o for o in session.get_outputs()}
    # The heatmap's size follows from the input's: the graph names its dimensions only symbolically.
    pixels = np.zeros((1, 3, metadata.input.height, metadata.input.width), np.float32)
    (heatmap,) = session.run(["heatmap"], {graph_input.name: pixels})
    heatmap_shape = heatmap.shape[1:]
    assert _tensors(config, "output") == {
        "probabilities": ("TYPE_FP32", [len(metadata.classes)]),
        "lesion_probability": ("TYPE_FP32", [1]),  # reshaped to one value per photo, as the graph gives it
        "heatmap": ("TYPE_FP32", list(heatmap_shape)),
        "dermatoscopic_probability": ("TYPE_FP32", [1]),
    }
    assert set(outputs) == {"probabilities", "lesion_probability", "heatmap", "dermatoscopic_probability"}
    assert outputs["lesion_probability"].shape == ["batch"]
    assert outputs["dermatoscopic_probability"].shape == ["batch"]


def _inference_service() -> dict[str, Any]:
    document = yaml.safe_load(INFERENCE_SERVICE.read_text())
    assert isinstance(document, dict)
    return document


def test_the_inference_service_runs_the_model_server_in_valid_containers() -> None:
    service = _inference_service()
    assert (service["apiVersion"], service["kind"]) == ("serving.kserve.io/v1beta1", "InferenceService")
    predictor = service["spec"]["predictor"]
    [container] = predictor["containers"]
    assert container["command"][:2] == ["spotcheck", "model-server"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    # No schema for KServe's resource ships with kubernetes-validate: its containers are checked as a Pod's.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": service["metadata"]["name"]},
        "spec": {"containers": predictor["containers"]},
    }
    kubernetes_validate.validate(pod, "1.37.0", strict=True)


def test_the_ingest_function_classifies_through_the_sagemaker_endpoint() -> None:
    text = TEMPLATE.read_text()
    for kind in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"):
        assert f"Type: {kind}\n" in text
    assert re.search(r"ServerlessConfig:\s+MemorySizeInMB: \d+\s+MaxConcurrency: \d+", text)
    assert "SPOTCHECK_SAGEMAKER_ENDPOINT: !GetAtt ModelEndpoint.EndpointName" in text
    assert re.search(r"Action: sagemaker:InvokeEndpoint\s+Resource: !Ref ModelEndpoint", text)
