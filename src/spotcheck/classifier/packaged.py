"""Where the model shipped inside the package lies."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["packaged_model_path"]


def packaged_model_path() -> Path:
    """The shipped ONNX model; its metadata file lies beside it."""
    return Path(str(resources.files("spotcheck") / "model" / "spotcheck-lesion.onnx"))
