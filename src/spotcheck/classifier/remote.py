"""A classifier behind a model server: the Open Inference Protocol v2 over REST (``spotcheck model-server``,
KServe, or any server that offers the ``spotcheck-lesion`` model's contract)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import time
from collections.abc import Sequence
from typing import Any

import httpx2
import numpy as np
from PIL import Image

from spotcheck.classifier.base import Assessment, Heatmap, ModelServerUnavailableError, Prediction
from spotcheck.classifier.metadata import InputSpec, ModelMetadata
from spotcheck.classifier.oip import (
    HEATMAP,
    MODEL_NAME,
    ContractError,
    assessments_from_response,
    heatmaps_from_response,
    infer_request,
)

__all__ = ["UNKNOWN_VERSION", "ModelServerError", "RemoteClassifier", "encode_photo"]

# The version until the server first answers: a label never carries it.
UNKNOWN_VERSION = "unknown (model server not reached yet)"

# Photos are sent no larger than this (longest side): the model sees 200 x 150, the photo gate a
# little more, and a full-size PNG would cost more to send than to classify.
_MAX_SENT_SIDE = 1024


# While the server is down, how often ``reachable`` asks it again.
_PROBE_INTERVAL_SECONDS = 1.0


class ModelServerError(RuntimeError):
    """The model server answered, but not with assessments (a refused request, or a broken answer)."""


def encode_photo(image: Image.Image) -> bytes:
    """The photo as lossless PNG, scaled down to ``_MAX_SENT_SIDE`` when larger."""
    if max(image.size) > _MAX_SENT_SIDE:
        image = image.copy()
        image.thumbnail((_MAX_SENT_SIDE, _MAX_SENT_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class RemoteClassifier:
    """Sends each batch of photos in one infer request; labels carry the version the server reports.

    While the server cannot be reached, answers 5xx, or takes longer than ``timeout`` seconds,
    ``classify`` raises ``ModelServerUnavailableError``, an outage the workers wait out.
    """

    # The metadata file stays with the server: its answers carry the version only.
    metadata: ModelMetadata | None = None

    def __init__(self, url: str, *, timeout: float = 30.0, connect_timeout: float = 2.0) -> None:
        self.url = url.rstrip("/")
        self._model_url = f"{self.url}/v2/models/{MODEL_NAME}"
        self._timeout = httpx2.Timeout(timeout, connect=connect_timeout)
        self._client = httpx2.Client(timeout=self._timeout, follow_redirects=False)
        self._version: str | None = None
        self._gives_heatmaps: bool | None = None  # whether the metadata lists the heatmap output
        self._down_since: float | None = None  # set by an outage, cleared by the next answer
        self._probed_at = 0.0
        # The version known from the start when the server is up; its first answer tells it otherwise.
        with contextlib.suppress(ModelServerUnavailableError):
            self.check(timeout=min(connect_timeout, 1.0))

    @property
    def version(self) -> str:
        return self._version or UNKNOWN_VERSION

    def reachable(self) -> bool:
        """False while the last call met an outage and the server still does not answer (probed at
        most once a second): workers claim no jobs meanwhile."""
        if self._down_since is None:
            return True
        now = time.monotonic()
        if now - self._probed_at < _PROBE_INTERVAL_SECONDS:
            return False
        self._probed_at = now
        try:
            self.check(timeout=_PROBE_INTERVAL_SECONDS)
        except ModelServerUnavailableError:
            return False
        return True

    def _outage(self, message: str) -> ModelServerUnavailableError:
        if self._down_since is None:
            self._down_since = self._probed_at = time.monotonic()
        return ModelServerUnavailableError(message)

    def check(self, *, timeout: float | None = None) -> None:
        """Raises ``ModelServerUnavailableError`` unless the server says the model is ready."""
        try:
            response = self._client.get(self._model_url, timeout=timeout or self._timeout)
            ready = self._client.get(f"{self._model_url}/ready", timeout=timeout or self._timeout)
        except httpx2.HTTPError as exc:
            raise self._outage(f"model server {self.url} unreachable: {exc}") from exc
        if response.status_code != 200 or ready.status_code != 200:
            raise self._outage(
                f"model server {self.url} answers {response.status_code}/{ready.status_code}: model not ready"
            )
        metadata = response.json()
        versions = metadata.get("versions") or []
        if versions:
            self._version = str(versions[0])
        self._gives_heatmaps = any(output.get("name") == HEATMAP for output in metadata.get("outputs") or [])
        self._down_since = None

    def classify(self, images: Sequence[Image.Image]) -> list[Assessment]:
        return self._classify(images, heatmaps=False)

    def classify_with_heatmaps(self, images: Sequence[Image.Image]) -> list[Assessment]:
        """``classify``, asking the server for its ``heatmap`` output too: each prediction carries the
        map the server drew at the size of the photo sent (none when its model has no heatmap output)."""
        if self._gives_heatmaps is None:
            self.check()
        return self._classify(images, heatmaps=bool(self._gives_heatmaps))

    def _classify(self, images: Sequence[Image.Image], *, heatmaps: bool) -> list[Assessment]:
        if not images:
            return []
        body = infer_request([encode_photo(image) for image in images], heatmaps=heatmaps)
        try:
            response = self._client.post(f"{self._model_url}/infer", json=body)
        except httpx2.HTTPError as exc:
            raise self._outage(f"model server {self.url} unreachable: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (404, 429):
            raise self._outage(f"model server {self.url} answers {response.status_code}: {response.text[:200]}")
        if response.status_code != 200:
            raise ModelServerError(
                f"model server {self.url} refused the photos ({response.status_code}): {response.text[:200]}"
            )
        try:
            answer = response.json()
            assessments = assessments_from_response(answer, len(images))
            if heatmaps:
                assessments = _with_heatmaps(assessments, answer)
        except (ContractError, ValueError, OSError) as exc:
            raise ModelServerError(f"model server {self.url} answered out of contract: {exc}") from exc
        self._version = assessments[-1].model_version
        self._down_since = None
        return assessments

    def close(self) -> None:
        self._client.close()


# The server's map is already laid onto the photo: stretched to another size, it stays in place.
_DRAWN = InputSpec(height=1, width=1, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), fit="stretch")


def _with_heatmaps(assessments: list[Assessment], answer: Any) -> list[Assessment]:
    """The predictions with the answer's greyscale PNGs as their heatmaps; raises ``ContractError``
    or ``OSError`` (a PNG that does not decode)."""
    pngs = heatmaps_from_response(answer, len(assessments))
    mapped: list[Assessment] = []
    for assessment, png in zip(assessments, pngs, strict=True):
        if isinstance(assessment, Prediction) and png is not None:
            with Image.open(io.BytesIO(png)) as image:
                weights = np.asarray(image.convert("L"), dtype=np.float32)
            assessment = dataclasses.replace(assessment, heatmap=Heatmap(weights, _DRAWN))
        mapped.append(assessment)
    return mapped
