"""The production classifier: an ONNX model run by ONNX Runtime, configured by its metadata file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from spotcheck.classifier.base import ModelUnavailableError, Prediction
from spotcheck.classifier.labels import Classification
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.preprocess import normalise, resize_rgb

__all__ = ["OnnxClassifier", "metadata_path_for"]

# Images per ONNX Runtime call. The shipped graph already runs every image as a batch of mirror
# views per network, and larger calls spill the CPU caches: on 2 cores `spotcheck classify` takes
# 15.2 s for 1,000 images at 2 per call and 21.2 s at 32.
_IMAGES_PER_RUN = 2


def metadata_path_for(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


class OnnxClassifier:
    """Calibrated class probabilities in, BENIGN/MALIGNANT at the model's own threshold out."""

    def __init__(self, model_path: Path, *, threads: int | None = None) -> None:
        meta_path = metadata_path_for(model_path)
        if not model_path.is_file() or not meta_path.is_file():
            raise ModelUnavailableError(
                f"no model at {model_path} (expects the ONNX file and its metadata {meta_path.name} beside it)"
            )
        try:
            self.metadata = ModelMetadata.read(meta_path)
            options = ort.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises several unrelated types
            raise ModelUnavailableError(f"cannot load the model {model_path}: {exc}") from exc
        self._input_name = self._session.get_inputs()[0].name
        outputs = self._session.get_outputs()[0].shape
        # A symbolic (named) class dimension cannot be checked until the first run.
        if isinstance(outputs[-1], int) and outputs[-1] != len(self.metadata.classes):
            raise ModelUnavailableError(
                f"{model_path} gives {outputs[-1]} outputs, its metadata names {len(self.metadata.classes)} classes"
            )

    @property
    def version(self) -> str:
        return self.metadata.version

    def class_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(N, classes) probabilities for uint8 images already at the input size, (N, H, W, 3)."""
        runs = [
            self._session.run(
                None, {self._input_name: normalise(pixels[start : start + _IMAGES_PER_RUN], self.metadata.input)}
            )[0]
            for start in range(0, len(pixels), _IMAGES_PER_RUN)
        ]
        if not runs:
            return np.empty((0, len(self.metadata.classes)))
        probabilities: np.ndarray = np.asarray(np.concatenate(runs), dtype=np.float64)
        return probabilities

    def malignant_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        return np.asarray(self.class_probabilities(pixels)[:, self.metadata.malignant_indices].sum(axis=1))

    def classify(self, images: Sequence[Image.Image]) -> list[Prediction]:
        if not images:
            return []
        pixels = np.stack([resize_rgb(image, self.metadata.input) for image in images])
        scores = np.clip(self.malignant_probabilities(pixels), 0.0, 1.0)
        threshold = self.metadata.threshold
        return [
            Prediction(
                classification=Classification.MALIGNANT if score >= threshold else Classification.BENIGN,
                malignant_probability=float(score),
                model_version=self.version,
            )
            for score in scores
        ]
