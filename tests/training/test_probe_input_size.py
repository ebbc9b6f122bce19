"""scripts/probe_input_size.py, and a run's network built for another input size, on a tiny fold run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch")

import torch
from smoke_run import load_script, train_fold_runs

from spotcheck.training.network import load_network

pytestmark = [pytest.mark.training, pytest.mark.slow]


@pytest.fixture(scope="module")
def fold_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return train_fold_runs(tmp_path_factory)


def test_a_network_built_for_a_larger_input_keeps_its_weights(fold_runs: list[Path]) -> None:
    trained = load_network(fold_runs[0])
    larger = load_network(fold_runs[0], input_size=(225, 300))
    assert all(
        torch.equal(a, b) for a, b in zip(trained.state_dict().values(), larger.state_dict().values(), strict=True)
    )
    with torch.no_grad():
        logits = larger(torch.zeros(2, 3, 225, 300))
        same = load_network(fold_runs[0], input_size=(150, 200))(torch.ones(1, 3, 150, 200))
        assert torch.equal(same, trained(torch.ones(1, 3, 150, 200)))
    assert logits.shape == (2, 7) and bool(torch.isfinite(logits).all())


def test_the_probe_prints_each_size_for_each_run(fold_runs: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert load_script("probe_input_size").main([str(fold_runs[0]), "--split", "val"]) == 0
    out = capsys.readouterr().out
    header = re.search(r"split 'val': (\d+) phone photos, (\d+) malignant, (\d+) melanomas", out)
    assert header is not None and int(header.group(2)) > 0
    rows = re.findall(r"^(tiny-fold\d) +(\d+x\d+): AUC ", out, flags=re.MULTILINE)
    sizes = ["200x150", "260x195", "300x225"]
    assert rows == [("tiny-fold0", size) for size in sizes]
    assert len(re.findall(r"at sensitivity 0\.95: specificity [01]\.\d{3}, melanomas \d+/\d+", out)) == 3


def test_runs_on_different_splits_are_refused(fold_runs: list[Path]) -> None:
    with pytest.raises(SystemExit, match=r"trained with other phone_fold .* the runs must share one split"):
        load_script("probe_input_size").main([str(run) for run in fold_runs])


def test_a_folder_that_is_no_run_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        load_script("probe_input_size").main([str(tmp_path / "nowhere")])
    assert stopped.value.code == 2
    assert "nowhere is not a training run folder (it has no config.json)" in capsys.readouterr().err
