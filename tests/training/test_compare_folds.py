"""scripts/compare_folds.py on two real, tiny cross-validation runs (one per fold)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch")

from smoke_run import DATA_DIR, PHONE_DIR, REPO_ROOT, SMOKE_OVERRIDES, load_script, train_fold_runs

from spotcheck.training.config import load_config
from spotcheck.training.dataset import Domain
from spotcheck.training.pipeline import load_split_records

pytestmark = [pytest.mark.training, pytest.mark.slow]


@pytest.fixture(scope="module")
def fold_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return train_fold_runs(tmp_path_factory)


def test_every_phone_melanoma_outside_test_is_scored_once(
    fold_runs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = [f"data_dir={DATA_DIR}", f"phone_data_dir={PHONE_DIR}", *SMOKE_OVERRIDES]
    records, split_of = load_split_records(load_config(REPO_ROOT / "configs" / "release-phone.toml", overrides))
    outside_test = [r for r in records if split_of[r.image_id] != "test"]
    melanomas = sum(1 for r in outside_test if r.domain is Domain.SMARTPHONE and r.dx == "mel")
    assert melanomas > 0

    assert load_script("compare_folds").main([str(run) for run in fold_runs]) == 0

    line = capsys.readouterr().out.strip()
    assert line.startswith("tiny: phone AUC ")
    flagged = re.search(r"melanomas flagged (\d+)/(\d+)", line)
    assert flagged is not None and int(flagged.group(2)) == melanomas
    assert 0 <= int(flagged.group(1)) <= melanomas
    assert "(mean of 2)" in line


def test_a_recipe_missing_a_fold_is_refused(fold_runs: list[Path]) -> None:
    with pytest.raises(SystemExit, match="needs one run for each of its 2 folds"):
        load_script("compare_folds").main([str(fold_runs[0])])


def test_a_run_on_the_fixed_split_is_refused(fold_runs: list[Path], tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    config = (fold_runs[0] / "config.json").read_text().replace('"phone_fold": 0', '"phone_fold": null')
    (plain / "config.json").write_text(config)
    with pytest.raises(SystemExit, match="not a cross-validation run"):
        load_script("compare_folds").main([str(plain)])
