"""``spotcheck train`` and ``spotcheck evaluate`` (need the [train] extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["evaluate_command", "train_command"]

_NEEDS_EXTRA = "this command needs the training extra: pip install -e '.[train]'"


def train_command(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML recipe, e.g. configs/release.toml.")
    ] = None,
    override: Annotated[list[str] | None, typer.Option("--override", "-o", help="key=value, repeatable.")] = None,
) -> None:
    """Fine-tune, calibrate, export to ONNX and evaluate; outputs go to output_dir/run_name."""
    try:
        from spotcheck.training.config import load_config
        from spotcheck.training.pipeline import run_training
    except ImportError as exc:
        typer.echo(f"spotcheck: {_NEEDS_EXTRA} ({exc})", err=True)
        raise typer.Exit(2) from None
    summary = run_training(load_config(config, override or []))
    test = summary["test"]
    typer.echo(json.dumps({k: v for k, v in summary.items() if k != "test"}, indent=2))
    typer.echo(
        f"test ROC AUC {test['roc_auc']:.3f} (95% CI {test['roc_auc_ci95'][0]:.3f}-{test['roc_auc_ci95'][1]:.3f}), "
        f"sensitivity {test['sensitivity']:.3f}, specificity {test['specificity']:.3f} at threshold "
        f"{test['threshold']:.4f}; report in {summary['run_dir']}/evaluation"
    )


def evaluate_command(
    data_dir: Annotated[Path, typer.Argument(help="Labelled folder (metadata.csv or HAM10000_metadata.csv).")],
    model: Annotated[Path | None, typer.Option(help="ONNX model; default: the shipped one.")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Split manifest; evaluate only --split of it.")] = None,
    split: Annotated[str, typer.Option(help="Split of the manifest to evaluate.")] = "test",
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("evaluation"),
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples for the AUC interval.")] = 2000,
) -> None:
    """ROC AUC with a bootstrap interval, sensitivity/specificity, calibration; JSON, Markdown and PNG plots."""
    try:
        from spotcheck.training.evaluation import evaluate_folder
    except ImportError as exc:
        typer.echo(f"spotcheck: {_NEEDS_EXTRA} ({exc})", err=True)
        raise typer.Exit(2) from None
    from spotcheck.classifier.onnx import OnnxClassifier
    from spotcheck.runtime import packaged_model_path

    metrics = evaluate_folder(
        OnnxClassifier(model or packaged_model_path()),
        data_dir,
        out_dir=out,
        manifest=manifest,
        split=split,
        bootstrap_samples=bootstrap,
    )
    typer.echo((out / "evaluation.md").read_text())
    typer.echo(f"ROC AUC {metrics['roc_auc']:.3f}; report written to {out}")
