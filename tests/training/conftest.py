"""Fixtures shared by the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from smoke_run import DATA_DIR, PHONE_DIR, REPO_ROOT, SMOKE_OVERRIDES


@pytest.fixture(scope="session")
def fold_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two real, tiny cross-validation runs of the phone recipe (one per fold), trained once."""
    if not (PHONE_DIR / "metadata.csv").is_file() or not (DATA_DIR / "metadata.csv").is_file():
        pytest.skip("the shared data sets are not in ../shared/datasets")
    from spotcheck.training.config import load_config
    from spotcheck.training.pipeline import run_training

    output = tmp_path_factory.mktemp("folds")
    runs = []
    for fold in (0, 1):
        overrides = [f"data_dir={DATA_DIR}", f"phone_data_dir={PHONE_DIR}", f"output_dir={output}"]
        overrides += [*SMOKE_OVERRIDES, "phone_folds=2", f"phone_fold={fold}", f"run_name=tiny-fold{fold}"]
        config = load_config(REPO_ROOT / "configs" / "release-phone.toml", overrides)
        run_training(config, stop_after_training=True)
        runs.append(output / config.run_name)
    return runs
