"""One small real training run, shared by the tests that need its outputs, and the scripts' loader."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = (REPO_ROOT / "../shared/datasets/ham10000-200x150").resolve()
PHONE_DIR = (REPO_ROOT / "../shared/datasets/pad-ufes-20-partial").resolve()
SMOKE_OVERRIDES = ["limit_images=70", "batch_size=16", "epochs=1", "bootstrap_samples=100"]

_runs: dict[Path, dict[str, Any] | BaseException] = {}


def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The summary of configs/smoke.toml on 70 images of the shared data set, run once per session."""
    from spotcheck.training.config import load_config
    from spotcheck.training.pipeline import run_training

    if not (DATA_DIR / "metadata.csv").is_file():
        pytest.skip(f"the shared data set is not at {DATA_DIR}")
    if DATA_DIR not in _runs:
        output = tmp_path_factory.mktemp("runs")
        config = load_config(
            REPO_ROOT / "configs" / "smoke.toml", [f"data_dir={DATA_DIR}", f"output_dir={output}", *SMOKE_OVERRIDES]
        )
        try:
            _runs[DATA_DIR] = run_training(config)
        except Exception as exc:  # remembered, so a broken pipeline fails fast in every test
            _runs[DATA_DIR] = exc
    outcome = _runs[DATA_DIR]
    if isinstance(outcome, BaseException):
        raise RuntimeError(f"the smoke training run failed: {outcome!r}") from outcome
    return outcome


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass in it looks itself up there
    spec.loader.exec_module(module)
    return module
