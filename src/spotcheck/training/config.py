"""Training configuration: one file, overridable from the command line, saved with each run."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spotcheck.classifier.metadata import InputSpec

__all__ = ["Backbone", "EnsembleConfig", "TrainConfig", "load_config", "run_folder"]

Backbone = Literal["efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"]


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Path("../shared/datasets/ham10000-200x150")
    # Phone photos (a PAD-UFES-20-style folder) trained on beside the dermatoscopic ones; None = off.
    phone_data_dir: Path | None = None
    output_dir: Path = Path("runs")
    run_name: str = Field(default="release", description="A folder name in output_dir.")
    seed: int = 20261126
    val_fraction: float = Field(default=0.15, gt=0.0, lt=0.5)
    test_fraction: float = Field(default=0.15, gt=0.0, lt=0.5)
    # The phone folder is small (hundreds of patients): larger shares keep its validation and test
    # splits big enough to measure sensitivity on.
    phone_val_fraction: float = Field(default=0.2, gt=0.0, lt=0.5)
    phone_test_fraction: float = Field(default=0.2, gt=0.0, lt=0.5)
    # Cross-validation on the phone photos (their test split stays as it is): the training and
    # validation patients are dealt into ``phone_folds`` parts and part ``phone_fold`` validates.
    # One run per part scores every such patient once (``scripts/compare_folds.py``).
    phone_folds: int = Field(default=4, ge=2, le=10)
    phone_fold: int | None = Field(default=None, ge=0, description="None: the fixed validation split.")
    phone_share: float = Field(default=0.25, ge=0.0, lt=1.0, description="Share of training draws from phone photos.")
    phone_style: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Chance a dermatoscopic training image is made to look phone-taken.",
    )
    # The shipped model is Lite0 (its photo gate reads Lite0's blocks); Lite1 and Lite2 are bigger
    # teachers to distil from (their ImageNet weights come with the [teachers] extra).
    backbone: Backbone = "efficientnet-lite0"
    height: int = 150
    width: int = 200
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    fit: Literal["stretch", "crop"] = "stretch"
    pretrained: bool = True
    init_from: Path | None = Field(
        default=None,
        description="A finished run's folder: fine-tuning starts from its best checkpoint, not ImageNet weights.",
    )
    frozen_blocks: int = Field(
        default=0,
        ge=0,
        le=16,
        description="The stem and this many blocks keep their weights and batch-norm statistics (0 = train all).",
    )
    frozen_batchnorm: bool = Field(
        default=False,
        description="Every batch norm keeps its statistics (needed when they are folded into the weights).",
    )
    route_partner: Path | None = Field(
        default=None,
        description=(
            "A finished run's folder: its network's logits, fixed, are averaged with this network's in the loss "
            "and in validation, as the dermatoscopic route averages the two (this network is then trained as the "
            "pair's second half, not on its own)."
        ),
    )
    melanoma_draws: float = Field(
        default=1.0,
        ge=1.0,
        description="Melanoma images are drawn this many times as often as others of their kind of photo.",
    )
    epoch_images: int | None = Field(
        default=None, ge=2, description="Images per epoch; the training split's size when unset."
    )
    epochs: int = Field(default=20, ge=1)
    batch_size: int = Field(default=32, ge=2)
    lr: float = Field(default=1e-3, gt=0.0)
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    ema_decay: float | None = Field(default=None, gt=0.0, lt=1.0, description="Weight EMA per step; None = off.")
    label_smoothing: float = 0.1
    # Knowledge distillation: an .npz of teacher logits by image id (``scripts/teacher_logits.py``),
    # and the weight of matching them (temperature ``distill_temperature``) against the labels.
    teacher_logits: Path | None = None
    distill_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    distill_temperature: float = Field(default=2.0, gt=0.0)
    dropout: float = 0.2
    bf16: bool = True
    limit_images: int | None = Field(default=None, ge=7, description="Use only this many images (smoke runs).")
    tta_flips: Literal[1, 2, 4] = Field(default=1, description="Mirror views averaged at inference (1 = off).")
    target_sensitivity: float = Field(default=0.95, gt=0.0, le=1.0)
    bootstrap_samples: int = Field(default=2000, ge=1)
    version: str = "lite0-ham10000"

    @field_validator("run_name")
    @classmethod
    def _a_folder_name(cls, value: str) -> str:
        # "../x" or "/tmp/x" would write the run outside output_dir.
        if not value or value in (".", "..") or "/" in value or "\\" in value:
            raise ValueError(f"run_name {value!r} must be one folder name (no '/', not '.' or '..')")
        return value

    @model_validator(mode="after")
    def _fold_exists(self) -> TrainConfig:
        if self.phone_fold is not None and self.phone_fold >= self.phone_folds:
            raise ValueError(f"phone_fold {self.phone_fold} is not one of 0..{self.phone_folds - 1}")
        return self

    @classmethod
    def of_run(cls, run_dir: Path) -> TrainConfig:
        """The settings a training run was made with (its ``config.json``)."""
        return cls.model_validate_json((run_dir / "config.json").read_text())

    @property
    def input_spec(self) -> InputSpec:
        """The size and normalisation of the network's input."""
        return InputSpec(height=self.height, width=self.width, mean=self.mean, std=self.std, fit=self.fit)


class EnsembleConfig(BaseModel):
    """How ``spotcheck ensemble`` combines finished training runs into one shipped model."""

    model_config = ConfigDict(extra="forbid")

    members: list[Path] = Field(min_length=2, description="Training run folders, all on the same split.")
    output_dir: Path = Path("runs")
    run_name: str = "release-ensemble"
    tta_flips: Literal[1, 2, 4] = 4
    target_sensitivity: float = Field(default=0.95, gt=0.0, le=1.0)
    float16_weights: bool = Field(default=True, description="Store weights as float16 (half the file size).")
    bootstrap_samples: int = Field(default=2000, ge=1)


def _parse_value(key: str, text: str) -> Any:
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    field = TrainConfig.model_fields.get(key)
    if field is not None and field.annotation in (str, Path) and not isinstance(value, str):
        # A name or a path is text even when it looks like a number: `run_name=2024` means "2024".
        return text
    return value


def load_config(path: Path | None, overrides: list[str]) -> TrainConfig:
    """Read ``path`` (TOML), then apply ``key=value`` overrides (values in TOML syntax or bare strings)."""
    data: dict[str, Any] = tomllib.loads(path.read_text()) if path else {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r} is not of the form key=value")
        name = key.strip().replace("-", "_")
        data[name] = _parse_value(name, value.strip())
    return TrainConfig.model_validate(data)


def run_folder(text: str) -> Path:
    """An argparse ``type`` for a finished training run's folder (one with its config.json)."""
    path = Path(text)
    if not (path / "config.json").is_file():
        raise argparse.ArgumentTypeError(f"{text} is not a training run folder (it has no config.json)")
    return path
