"""Lesion classifiers: the interface, the ONNX Runtime implementation and the model metadata."""

from spotcheck.classifier.base import Assessment, Classifier, Heatmap, ModelUnavailableError, Prediction, Refusal
from spotcheck.classifier.labels import DIAGNOSES, MALIGNANT_DIAGNOSES, Classification
from spotcheck.classifier.metadata import HeatmapSpec, InputSpec, ModelMetadata
from spotcheck.classifier.onnx import OnnxClassifier

__all__ = [
    "DIAGNOSES",
    "MALIGNANT_DIAGNOSES",
    "Assessment",
    "Classification",
    "Classifier",
    "Heatmap",
    "HeatmapSpec",
    "InputSpec",
    "ModelMetadata",
    "ModelUnavailableError",
    "OnnxClassifier",
    "Prediction",
    "Refusal",
]
