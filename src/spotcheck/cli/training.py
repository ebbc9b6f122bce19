"""``spotcheck train`` and ``spotcheck evaluate`` (need the [train] extra)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from spotcheck.training.publish import RunSummary

__all__ = ["ensemble_command", "evaluate_command", "gate_command", "train_command"]

_NEEDS_EXTRA = "this command needs the training extra: pip install -e '.[train]'"


def _fail(message: str) -> NoReturn:
    typer.echo(f"spotcheck: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _needs_training_extra() -> Iterator[None]:
    """Around the imports of a command's training modules: without the extra, say how to install it."""
    try:
        yield
    except ImportError as exc:
        _fail(f"{_NEEDS_EXTRA} ({exc})")


@contextmanager
def _run_errors() -> Iterator[None]:
    """Around a run: a data set, file or setting it cannot use ends the command with the reason."""
    from spotcheck.training.dataset import DatasetError

    try:
        yield
    except (DatasetError, OSError, ValueError) as exc:
        _fail(str(exc))


def train_command(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML recipe, e.g. configs/release-phone.toml.")
    ] = None,
    override: Annotated[list[str] | None, typer.Option("--override", "-o", help="key=value, repeatable.")] = None,
    from_checkpoint: Annotated[
        bool, typer.Option(help="Skip fine-tuning: recalibrate, export and evaluate the run's best.pt.")
    ] = False,
    stop_after_training: Annotated[
        bool, typer.Option(help="Stop once best.pt is written; finish later with --from-checkpoint.")
    ] = False,
) -> None:
    """Fine-tune, calibrate, export to ONNX and evaluate; outputs go to output_dir/run_name."""
    with _needs_training_extra():
        from spotcheck.training.config import load_config
        from spotcheck.training.pipeline import TrainedCheckpoint, run_training
    try:
        recipe = load_config(config, override or [])
    except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        _fail(f"invalid training configuration {config or ''}: {exc}")
    with _run_errors():
        summary = run_training(recipe, from_checkpoint=from_checkpoint, stop_after_training=stop_after_training)
    if isinstance(summary, TrainedCheckpoint):
        typer.echo(json.dumps(summary.as_json(), indent=2))
        return
    _print_summary(summary)


def _one_line(domain: str, figures: Mapping[str, Any]) -> str:
    low, high = figures["roc_auc_ci95"]
    return (
        f"{domain}: ROC AUC {figures['roc_auc']:.3f} (95% CI {low:.3f}-{high:.3f}), "
        f"sensitivity {figures['sensitivity']:.3f}, specificity {figures['specificity']:.3f} at threshold "
        f"{figures['threshold']:.4f}, ECE {figures['expected_calibration_error']:.3f}"
    )


def _print_summary(summary: RunSummary) -> None:
    typer.echo(json.dumps({k: v for k, v in summary.as_json().items() if k not in ("test", "gate")}, indent=2))
    for domain, figures in summary.test.items():
        typer.echo(f"test, {_one_line(domain, figures)}")
    typer.echo(f"reports in {summary.run_dir}/evaluation")


def ensemble_command(
    members: Annotated[list[Path], typer.Argument(help="Finished training run folders, all on the same split.")],
    out: Annotated[Path, typer.Option(help="Run folder for the ensemble's outputs.")] = Path("runs/release-ensemble"),
    tta_flips: Annotated[int, typer.Option(help="Mirror views averaged at inference: 1, 2 or 4.")] = 4,
    target_sensitivity: Annotated[float, typer.Option(help="Validation sensitivity the threshold keeps.")] = 0.95,
    float16_weights: Annotated[bool, typer.Option(help="Store weights as float16 (half the size).")] = True,
    bootstrap: Annotated[int, typer.Option(min=1, help="Bootstrap resamples for the AUC interval.")] = 2000,
) -> None:
    """Average the logits of several runs into one model: calibrate, export to ONNX and evaluate it."""
    with _needs_training_extra():
        from spotcheck.training.config import EnsembleConfig
        from spotcheck.training.ensemble import run_ensemble
    try:
        recipe = EnsembleConfig(
            members=members,
            output_dir=out.parent,
            run_name=out.name,
            tta_flips=tta_flips,  # type: ignore[arg-type]  # pydantic refuses values other than 1, 2, 4
            target_sensitivity=target_sensitivity,
            float16_weights=float16_weights,
            bootstrap_samples=bootstrap,
        )
    except ValueError as exc:
        _fail(f"invalid ensemble: {exc}")
    with _run_errors():
        summary = run_ensemble(recipe)
    _print_summary(summary)


def gate_command(
    run: Annotated[Path, typer.Argument(help="A finished training or ensemble run folder.")],
    negatives: Annotated[Path, typer.Option(help="Photos that are not of a lesion (images/ and labels.csv).")] = Path(
        "../shared/datasets/non-lesion-photos"
    ),
    out: Annotated[Path, typer.Option(help="Run folder for the gated model.")] = Path("runs/release-gated"),
    max_lesion_refusal: Annotated[
        float, typer.Option(help="Share of validation lesion photos of each kind the lesion head may refuse.")
    ] = 0.005,
    bootstrap: Annotated[int, typer.Option(min=1, help="Bootstrap resamples for the AUC interval.")] = 2000,
) -> None:
    """Fit the photo gate's lesion head on a run and export the run with it: the model SpotCheck ships."""
    with _needs_training_extra():
        from spotcheck.training.gate import GateConfig, run_gate
    with _run_errors():
        recipe = GateConfig(
            run=run,
            negatives_dir=negatives,
            output_dir=out.parent,
            run_name=out.name,
            max_lesion_refusal=max_lesion_refusal,
            bootstrap_samples=bootstrap,
        )
        summary = run_gate(recipe)
    _print_summary(summary)
    for name, counts in summary.details["gate"]["test"].items():
        if "photos" in counts:
            typer.echo(f"test, {name}: {counts['refused']} of {counts['photos']} refused by the photo gate")


def evaluate_command(
    data_dir: Annotated[Path, typer.Argument(help="Labelled folder (metadata.csv or HAM10000_metadata.csv).")],
    model: Annotated[Path | None, typer.Option(help="ONNX model; default: the shipped one.")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Split manifest; evaluate only --split of it.")] = None,
    split: Annotated[str, typer.Option(help="Split of the manifest to evaluate.")] = "test",
    out: Annotated[Path, typer.Option(help="Report folder.")] = Path("evaluation"),
    bootstrap: Annotated[int, typer.Option(min=1, help="Bootstrap resamples for the AUC interval.")] = 2000,
    seed: Annotated[
        int, typer.Option(help="Seed of the bootstrap; the training recipes' own gives their published intervals.")
    ] = 20261126,
) -> None:
    """ROC AUC with a bootstrap interval, sensitivity/specificity, calibration; JSON, Markdown and PNG plots."""
    with _needs_training_extra():
        from spotcheck.training.dataset import DatasetError
        from spotcheck.training.evaluation import evaluate_folder
    from spotcheck.classifier.base import ModelUnavailableError
    from spotcheck.classifier.onnx import OnnxClassifier
    from spotcheck.classifier.packaged import packaged_model_path

    try:
        classifier = OnnxClassifier(model or packaged_model_path())
    except ModelUnavailableError as exc:
        _fail(str(exc))
    if manifest is not None and not manifest.is_file():
        _fail(f"no split manifest at {manifest}")
    try:
        metrics = evaluate_folder(
            classifier, data_dir, out_dir=out, manifest=manifest, split=split, bootstrap_samples=bootstrap, seed=seed
        )
    except (DatasetError, ValueError) as exc:  # ValueError: no images selected, or only one class among them
        _fail(str(exc))
    for domain, figures in metrics.items():
        typer.echo((out / domain / "evaluation.md").read_text())
        typer.echo(_one_line(domain, figures))
    typer.echo(f"reports written to {out}")
