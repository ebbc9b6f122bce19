"""scripts/bench_model.py on the smoke run's outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from smoke_run import load_script, smoke_run

pytestmark = [pytest.mark.training, pytest.mark.slow]


def test_bench_prints_both_runtimes_at_each_batch_size(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir = str(smoke_run(tmp_path_factory).run_dir)
    assert load_script("bench_model").main([run_dir, "--images", "10", "--batch-sizes", "1,4", "--warmup", "1"]) == 0
    out = capsys.readouterr().out
    rows = [r for r in map(str.split, out.splitlines()) if r[:1] in (["onnxruntime"], ["pytorch"]) and r[1].isdigit()]
    assert [(r[0], r[1]) for r in rows] == [
        ("onnxruntime", "1"),
        ("pytorch", "1"),
        ("onnxruntime", "4"),
        ("pytorch", "4"),
    ]
    assert all(float(r[2]) > 0 and float(r[3]) > 0 for r in rows)
    assert out.count("onnxruntime/pytorch throughput x") == 2
    assert "10 real images" in out
    assert "logical cores" in out


def test_bench_refuses_a_folder_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load_script("bench_model").main([str(tmp_path)]) == 2
    assert "lacks best.pt, config.json, model.onnx, model.json" in capsys.readouterr().err
