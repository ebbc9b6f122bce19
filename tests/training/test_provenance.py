"""What a run records about where it came from: the code's commit, whether it was changed, the libraries."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

pytest.importorskip("torch")

import numpy
import onnx
import onnxruntime
import torch

from spotcheck.training.provenance import git_state, library_versions
from spotcheck.training.publish import model_name


def _git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_a_git_checkout_gives_its_commit_and_whether_a_tracked_file_changed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "src" / "code.py").write_text("x = 1\n")
    _git(repo, "add", "src/code.py")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "HEAD")

    (repo / "src" / "new.py").write_text("y = 2\n")  # untracked: not a change of the code that ran
    assert git_state(repo / "src") == (head, False)
    (repo / "src" / "code.py").write_text("x = 2\n")
    assert git_state(repo / "src") == (head, True)


def test_outside_a_git_checkout_there_is_no_commit(tmp_path: Path) -> None:
    assert git_state(tmp_path) == (None, None)


def test_library_versions_are_those_imported() -> None:
    versions = library_versions()
    assert versions["torch"] == str(torch.__version__)
    assert versions["onnx"] == onnx.__version__
    assert versions["onnxruntime"] == onnxruntime.__version__
    assert versions["numpy"] == numpy.__version__
    assert versions["python"].count(".") == 2


def test_the_model_is_named_after_its_backbones() -> None:
    assert model_name(["efficientnet-lite0"]) == "SpotCheck lesion classifier (EfficientNet-Lite0)"
    assert model_name(["efficientnet-lite2"]) == "SpotCheck lesion classifier (EfficientNet-Lite2)"
    assert model_name(["efficientnet-lite0"] * 2) == "SpotCheck lesion classifier (2 x EfficientNet-Lite0)"
    mixed = model_name(["efficientnet-lite0", "efficientnet-lite2"])
    assert mixed == "SpotCheck lesion classifier (EfficientNet-Lite0 + EfficientNet-Lite2)"
