"""The shipped model (photo gate, classifier and heatmap) as a KServe model: photos in, assessments out."""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from kserve import InferOutput, InferRequest, InferResponse, Model
from kserve.errors import InvalidInput
from prometheus_client import Counter

from spotcheck.classifier.base import Assessment, Prediction, Refusal
from spotcheck.classifier.heatmap import heatmap_png
from spotcheck.classifier.oip import HEATMAP, IMAGE, MODEL_NAME, metadata_tensors, response_outputs
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.serving.batching import Batcher
from spotcheck.serving.photos import UnreadablePhotoError, read_photo

__all__ = ["MAX_PHOTOS_PER_REQUEST", "LesionModel"]

# One request may carry a batch of photos (the workers send theirs together); more is refused.
MAX_PHOTOS_PER_REQUEST = 64

# On the model server's /metrics (the default Prometheus registry, which KServe serves).
_PASSES = Counter("spotcheck_model_server_passes", "Network passes run (each over every photo waiting).")
_PHOTOS = Counter("spotcheck_model_server_photos", "Photos the network passes took (refused ones excluded).")
_REQUESTS = Counter("spotcheck_model_server_requests", "Inference requests answered (OIP v2 and SageMaker).")


class LesionModel(Model):  # type: ignore[misc]  # KServe ships no type information
    """Photos from concurrent requests share one network pass: the pass waits at most ``max_wait``
    seconds for more, and takes up to ``max_batch`` photos."""

    def __init__(self, classifier: OnnxClassifier, *, max_batch: int, max_wait: float) -> None:
        super().__init__(MODEL_NAME)
        self.classifier = classifier
        self._batcher: Batcher[np.ndarray | Refusal, Assessment] = Batcher(
            self._pass, max_items=max_batch, max_wait=max_wait
        )

    @property
    def version(self) -> str:
        return self.classifier.version

    def load(self) -> bool:
        self.ready = True
        return True

    def _pass(self, prepared: list[np.ndarray | Refusal]) -> list[Assessment]:
        judged = sum(not isinstance(item, Refusal) for item in prepared)
        if judged:
            _PASSES.inc()
            _PHOTOS.inc(judged)
        # One pass serves requests that ask for the heatmap and requests that do not.
        return self.classifier.assess(prepared, heatmaps=True)

    def get_input_types(self) -> list[dict[str, Any]]:
        return metadata_tensors(heatmap=self.classifier.gives_heatmaps)[0]

    def get_output_types(self) -> list[dict[str, Any]]:
        return metadata_tensors(heatmap=self.classifier.gives_heatmaps)[1]

    async def assess(self, photos: Sequence[bytes]) -> list[Assessment]:
        """An assessment per encoded photo; raises ``UnreadablePhotoError`` if one cannot be read."""
        return (await self._assess_sized(photos))[0]

    async def _assess_sized(self, photos: Sequence[bytes]) -> tuple[list[Assessment], list[tuple[int, int]]]:
        """``assess`` and each photo's (width, height) as read, upright."""
        loop = asyncio.get_running_loop()
        decodes = [loop.run_in_executor(None, read_photo, photo, self.classifier) for photo in photos]
        read = await asyncio.gather(*decodes)
        _REQUESTS.inc()
        assessments = await self._batcher.submit([prepared for prepared, _size in read])
        return assessments, [size for _prepared, size in read]

    async def predict(
        self, payload: InferRequest, headers: Mapping[str, str] | None = None, response_headers: Any = None
    ) -> InferResponse:
        photos = _photos(payload)
        requested = {output.name for output in payload.request_outputs or []}
        if HEATMAP in requested and not self.classifier.gives_heatmaps:
            raise InvalidInput(f"the model {self.version} has no {HEATMAP!r} output")
        try:
            assessments, sizes = await self._assess_sized(photos)
        except UnreadablePhotoError as exc:
            raise InvalidInput(str(exc)) from exc
        outputs = [
            InferOutput(name=name, shape=[len(values)], datatype=datatype, data=values)
            for name, (datatype, values) in response_outputs(assessments).items()
        ]
        if HEATMAP in requested:  # encoded only when asked: the pass computes the maps anyway
            maps = await asyncio.get_running_loop().run_in_executor(None, _heatmap_texts, assessments, sizes)
            parameters = {"content_type": "base64"}
            outputs.append(InferOutput(HEATMAP, shape=[len(maps)], datatype="BYTES", data=maps, parameters=parameters))
        # KServe answers with the outputs requested, when the request names any, in their order.
        return InferResponse(
            response_id=payload.id or str(uuid.uuid4()),
            model_name=MODEL_NAME,
            model_version=self.version,
            infer_outputs=outputs,
            requested_outputs=payload.request_outputs,
        )

    def stop(self) -> None:
        self._batcher.close()


def _heatmap_texts(assessments: Sequence[Assessment], sizes: Sequence[tuple[int, int]]) -> list[str]:
    """Each judged photo's heatmap as a greyscale PNG at its size, in base64; empty for a refused one."""
    return [
        base64.b64encode(heatmap_png(a.heatmap, size)).decode("ascii")
        if isinstance(a, Prediction) and a.heatmap is not None
        else ""
        for a, size in zip(assessments, sizes, strict=True)
    ]


def _photos(payload: InferRequest) -> list[bytes]:
    """The encoded photos of the ``image`` input: base64 text with ``content_type: base64``."""
    inputs = {item.name: item for item in payload.inputs}
    if set(inputs) != {IMAGE}:
        raise InvalidInput(f"expects exactly one input, {IMAGE!r} (BYTES); got {sorted(inputs)}")
    tensor = inputs[IMAGE]
    if tensor.datatype != "BYTES":
        raise InvalidInput(f"input {IMAGE!r} must be BYTES (one encoded photo per element), not {tensor.datatype}")
    parameters = tensor.parameters or {}
    content_type = parameters.get("content_type") if isinstance(parameters, Mapping) else None
    if content_type != "base64":
        raise InvalidInput(
            f'input {IMAGE!r} needs "parameters": {{"content_type": "base64"}}, each element a photo in base64'
        )
    elements = list(np.asarray(tensor.data, dtype=object).reshape(-1)) if tensor.data is not None else []
    if not 1 <= len(elements) <= MAX_PHOTOS_PER_REQUEST:
        raise InvalidInput(f"input {IMAGE!r} holds {len(elements)} photos; 1 to {MAX_PHOTOS_PER_REQUEST} are taken")
    photos = []
    for n, element in enumerate(elements):
        text = element.encode("ascii", "replace") if isinstance(element, str) else bytes(element)
        try:
            photos.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(f"element {n} of input {IMAGE!r} is not base64: {exc}") from exc
    return photos
