"""Small real training runs, shared by the tests that need their outputs, and the scripts' loader.

(Fixtures stay in the test modules: a second conftest.py here would shadow the tests' own
``conftest`` module, which other tests import by that name.)
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from spotcheck.training.publish import RunSummary

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = (REPO_ROOT / "../shared/datasets/ham10000-200x150").resolve()
PHONE_DIR = (REPO_ROOT / "../shared/datasets/pad-ufes-20-partial").resolve()
SMOKE_OVERRIDES = ["limit_images=70", "batch_size=16", "epochs=1", "bootstrap_samples=100"]

_runs: dict[Path, RunSummary | BaseException] = {}
_fold_runs: list[Path] = []


def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> RunSummary:
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


def train_fold_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two real, tiny cross-validation runs of the phone recipe (one per fold), trained once per session."""
    if not (PHONE_DIR / "metadata.csv").is_file() or not (DATA_DIR / "metadata.csv").is_file():
        pytest.skip("the shared data sets are not in ../shared/datasets")
    from spotcheck.training.config import load_config
    from spotcheck.training.pipeline import run_training

    if not _fold_runs:
        output = tmp_path_factory.mktemp("folds")
        for fold in (0, 1):
            overrides = [f"data_dir={DATA_DIR}", f"phone_data_dir={PHONE_DIR}", f"output_dir={output}"]
            overrides += [*SMOKE_OVERRIDES, "phone_folds=2", f"phone_fold={fold}", f"run_name=tiny-fold{fold}"]
            config = load_config(REPO_ROOT / "configs" / "release-phone.toml", overrides)
            run_training(config, stop_after_training=True)
            _fold_runs.append(output / config.run_name)
    return list(_fold_runs)


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a dataclass in it looks itself up there
    spec.loader.exec_module(module)
    return module
