"""The production classifier: an ONNX model run by ONNX Runtime, configured by its metadata file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from spotcheck.classifier.base import Assessment, Heatmap, ModelUnavailableError, Prediction, PreparedPhoto, Refusal
from spotcheck.classifier.labels import Classification
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.preprocess import normalise, resize_rgb
from spotcheck.photocheck.gate import refusal_after_model, refusal_before_model

__all__ = ["HEATMAP_OUTPUT", "LESION_OUTPUT", "OnnxClassifier", "metadata_path_for"]

# The graph's optional second output: the chance that the photo shows a skin lesion (the photo gate).
LESION_OUTPUT = "lesion_probability"
# The graph's optional (N, h, w) class-activation map toward "closer look" (``spotcheck.training.heatmap_output``).
HEATMAP_OUTPUT = "heatmap"

# Images per ONNX Runtime call. The shipped graph already runs every image as a batch of mirror
# views per network, and larger calls spill the CPU caches: on 2 cores `spotcheck classify` takes
# 15.2 s for 1,000 images at 2 per call and 21.2 s at 32.
_IMAGES_PER_RUN = 2


@dataclass(frozen=True)
class _Pass:
    """What one network pass over a batch gives."""

    probabilities: np.ndarray  # (N, classes)
    lesion: np.ndarray | None  # (N,), the photo gate's lesion probability, where the graph has it
    routed: np.ndarray  # (N,) bool: the graph gave the photo the dermatoscopic route
    heatmaps: np.ndarray | None  # (N, h, w), when asked for and in the graph


def metadata_path_for(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


class OnnxClassifier:
    """Calibrated class probabilities in, BENIGN/MALIGNANT at the model's own threshold out."""

    def __init__(self, model_path: Path, *, threads: int | None = None, spin: bool = True) -> None:
        meta_path = metadata_path_for(model_path)
        if not model_path.is_file() or not meta_path.is_file():
            raise ModelUnavailableError(
                f"no model at {model_path} (expects the ONNX file and its metadata {meta_path.name} beside it)"
            )
        self.threads = threads  # ONNX Runtime's threads a pass; None: as many as the machine's cores
        try:
            self.metadata = ModelMetadata.read(meta_path)
            options = ort.SessionOptions()
            if threads:
                options.intra_op_num_threads = threads
            if not spin:
                # ONNX Runtime's threads otherwise spin for a while after each run, taking the CPU
                # that a server's uploads need between two runs.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises several unrelated types
            raise ModelUnavailableError(f"cannot load the model {model_path}: {exc}") from exc
        self._input_name = self._session.get_inputs()[0].name
        names = [output.name for output in self._session.get_outputs()]
        self._outputs = [names[0], LESION_OUTPUT] if LESION_OUTPUT in names else [names[0]]
        self._heatmap_outputs = [HEATMAP_OUTPUT] if HEATMAP_OUTPUT in names else []
        route = self.metadata.dermatoscopic_route
        if route is not None and route.output not in names:
            raise ModelUnavailableError(
                f"{meta_path.name} describes a dermatoscopic route, but {model_path} has no {route.output!r} output"
            )
        self._route_outputs = [route.output] if route is not None else []
        if self.metadata.heatmap is not None and not self._heatmap_outputs:
            raise ModelUnavailableError(
                f"{meta_path.name} describes a heatmap, but {model_path} has no {HEATMAP_OUTPUT!r} output"
            )
        gate = self.metadata.gate
        if gate is not None and gate.lesion_threshold is not None and LESION_OUTPUT not in names:
            raise ModelUnavailableError(
                f"{meta_path.name} sets a lesion threshold, but {model_path} has no {LESION_OUTPUT!r} output"
            )
        self._check_fits_metadata(model_path)

    def _check_fits_metadata(self, model_path: Path) -> None:
        """The graph takes the metadata's input size and gives one output per class it names: a
        metadata file of another model would otherwise fail on the first photo, or worse, not fail."""
        spec = self.metadata.input
        shape = self._session.get_inputs()[0].shape
        fixed = [
            (name, size, want)
            for name, size, want in zip(("height", "width"), shape[2:], (spec.height, spec.width), strict=True)
            if isinstance(size, int)
        ]
        for name, size, want in fixed:
            if size != want:
                raise ModelUnavailableError(f"{model_path} takes images of {name} {size}, its metadata says {want}")
        try:  # a symbolic (named) class dimension shows only in a run
            probabilities, _lesion = self.outputs(np.zeros((1, spec.height, spec.width, 3), dtype=np.uint8))
        except Exception as exc:  # onnxruntime raises several unrelated types
            raise ModelUnavailableError(f"{model_path} does not run on its metadata's input: {exc}") from exc
        if probabilities.shape[1] != len(self.metadata.classes):
            raise ModelUnavailableError(
                f"{model_path} gives {probabilities.shape[1]} outputs, its metadata names "
                f"{len(self.metadata.classes)} classes"
            )

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def gives_heatmaps(self) -> bool:
        """Whether predictions carry the graph's heatmap (where the model looked)."""
        return bool(self._heatmap_outputs)

    @property
    def decode_size(self) -> tuple[int, int]:
        """Twice the input size: enough for the photo gate (it measures at 200 px) and the resize."""
        return 2 * self.metadata.input.width, 2 * self.metadata.input.height

    def outputs(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, classes) probabilities and, if the graph has one, the (N,) lesion probability, for uint8
        images already at the input size, (N, H, W, 3)."""
        found = self._run(pixels, heatmaps=False)
        return found.probabilities, found.lesion

    def _run(self, pixels: np.ndarray, *, heatmaps: bool) -> _Pass:
        """``outputs``, whether the graph routed each photo as dermatoscopic and, asked for and in the
        graph, the (N, h, w) heatmaps, from the same pass."""
        extra = self._heatmap_outputs if heatmaps else []
        wanted = self._outputs + self._route_outputs + extra
        runs = [
            dict(
                zip(
                    wanted,
                    self._session.run(
                        wanted,
                        {self._input_name: normalise(pixels[start : start + _IMAGES_PER_RUN], self.metadata.input)},
                    ),
                    strict=True,
                )
            )
            for start in range(0, len(pixels), _IMAGES_PER_RUN)
        ]

        if not runs:
            return _Pass(np.empty((0, len(self.metadata.classes))), None, np.zeros(0, dtype=bool), None)
        route = self.metadata.dermatoscopic_route

        def joined(name: str) -> np.ndarray:
            return np.concatenate([run[name] for run in runs])

        return _Pass(
            probabilities=np.asarray(joined(self._outputs[0]), dtype=np.float64),
            lesion=np.asarray(joined(LESION_OUTPUT), dtype=np.float64).reshape(-1) if LESION_OUTPUT in wanted else None,
            routed=joined(route.output).reshape(-1) >= route.cut if route else np.zeros(len(pixels), dtype=bool),
            heatmaps=joined(HEATMAP_OUTPUT) if extra else None,
        )

    def judge(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, classes) probabilities and each photo's decision threshold (a photo the graph routed as
        dermatoscopic has its own), for uint8 images already at the input size, (N, H, W, 3)."""
        found = self._run(pixels, heatmaps=False)
        thresholds = np.where(
            found.routed, self.metadata.threshold_for(routed=True), self.metadata.threshold_for(routed=False)
        )
        return found.probabilities, thresholds

    def class_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        """(N, classes) probabilities for uint8 images already at the input size, (N, H, W, 3)."""
        return self.outputs(pixels)[0]

    def malignant_probabilities(self, pixels: np.ndarray) -> np.ndarray:
        return np.asarray(self.class_probabilities(pixels)[:, self.metadata.malignant_indices].sum(axis=1))

    def prepare(self, image: Image.Image) -> PreparedPhoto:
        """The photo as the model's input, (H, W, 3) uint8, or the gate's refusal of the photo itself.

        Thread-safe and free of ONNX Runtime: callers may prepare photos in other threads
        while the model runs.
        """
        gate = self.metadata.gate
        reason = refusal_before_model(image, gate) if gate is not None else None
        return Refusal(reason, self.version) if reason else resize_rgb(image, self.metadata.input)

    def assess(self, prepared: Sequence[PreparedPhoto], *, heatmaps: bool = False) -> list[Assessment]:
        """Run the model on the prepared photos: a prediction, or the gate's refusal, per photo; with
        ``heatmaps``, each prediction carries the graph's map (the pass then runs its extra nodes too)."""
        judged = [(i, item) for i, item in enumerate(prepared) if not isinstance(item, Refusal)]
        assessments: list[Assessment | None] = [item if isinstance(item, Refusal) else None for item in prepared]
        if judged:
            found = self._run(np.stack([pixels for _, pixels in judged]), heatmaps=heatmaps)
            lesion, maps = found.lesion, found.heatmaps
            scores = np.clip(found.probabilities[:, self.metadata.malignant_indices].sum(axis=1), 0.0, 1.0)
            gate = self.metadata.gate
            for n, (i, _) in enumerate(judged):
                reason = None
                if gate is not None and lesion is not None:
                    reason = refusal_after_model(float(lesion[n]), gate)
                heatmap = maps[n] if maps is not None else None
                assessments[i] = (
                    Refusal(reason, self.version)
                    if reason
                    else self._prediction(float(scores[n]), heatmap, routed=bool(found.routed[n]))
                )
        return [a for a in assessments if a is not None]

    def classify(self, images: Sequence[Image.Image]) -> list[Assessment]:
        return self.assess([self.prepare(image) for image in images])

    def classify_with_heatmaps(self, images: Sequence[Image.Image]) -> list[Assessment]:
        """``classify``, each prediction with its heatmap when the graph has the output."""
        return self.assess([self.prepare(image) for image in images], heatmaps=True)

    def _prediction(self, score: float, heatmap: np.ndarray | None, *, routed: bool) -> Prediction:
        threshold = self.metadata.threshold_for(routed=routed)
        return Prediction(
            classification=Classification.MALIGNANT if score >= threshold else Classification.BENIGN,
            malignant_probability=score,
            model_version=self.version,
            threshold=threshold,
            heatmap=Heatmap(heatmap, self.metadata.input) if heatmap is not None else None,
        )
