"""``spotcheck classify``: offline classification of image files and folders."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["classify_command", "iter_image_paths"]

_BATCH = 32
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    table = "table"


def iter_image_paths(paths: list[Path]) -> Iterator[Path]:
    """Files as given; folders walked for image files, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES)
        else:
            yield path


def _batches(paths: list[Path]) -> Iterator[list[Path]]:
    for start in range(0, len(paths), _BATCH):
        yield paths[start : start + _BATCH]


def classify_command(
    paths: Annotated[list[Path], typer.Argument(help="Image files or folders.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", help="jsonl: one JSON object per line.")] = (
        OutputFormat.table
    ),
    model: Annotated[
        Path | None, typer.Option(help="ONNX model (its .json beside it); default: the shipped one.")
    ] = None,
) -> None:
    """Classify lesion images with the shipped model, without a server."""
    from PIL import Image
    from tqdm import tqdm

    from spotcheck.classifier.base import ModelUnavailableError
    from spotcheck.classifier.onnx import OnnxClassifier
    from spotcheck.images.sanitize import register_heif_opener
    from spotcheck.runtime import packaged_model_path

    register_heif_opener()
    try:
        classifier = OnnxClassifier(model or packaged_model_path())
    except ModelUnavailableError as exc:
        typer.echo(f"spotcheck: {exc}", err=True)
        raise typer.Exit(2) from None
    files = list(iter_image_paths(paths))
    rows: list[dict[str, Any]] = []
    errors = 0
    progress = tqdm(total=len(files), unit="img", file=sys.stderr, disable=not sys.stderr.isatty())
    for batch in _batches(files):
        results: dict[Path, dict[str, Any]] = {}
        images, readable = [], []
        for path in batch:
            try:
                with Image.open(path) as image:
                    image.load()
                    images.append(image.convert("RGB"))
                readable.append(path)
            except (OSError, ValueError, SyntaxError) as exc:
                results[path] = {"file": str(path), "error": f"cannot read image: {exc}"}
        for path, prediction in zip(readable, classifier.classify(images), strict=True):
            results[path] = {
                "file": str(path),
                "classification": prediction.classification.value,
                "malignantProbability": round(prediction.malignant_probability, 6),
                "modelVersion": prediction.model_version,
            }
        for path in batch:
            row = results[path]
            errors += "error" in row
            if output_format is OutputFormat.jsonl:
                sys.stdout.write(json.dumps(row) + "\n")
            else:
                rows.append(row)
        sys.stdout.flush()
        progress.update(len(batch))
    progress.close()
    if output_format is OutputFormat.table:
        _print_table(rows)
    if errors:
        typer.echo(f"{errors} of {len(files)} files could not be read", err=True)


def _print_table(rows: list[dict[str, Any]]) -> None:
    width = max([len(r["file"]) for r in rows] + [4])
    typer.echo(f"{'file':<{width}}  {'classification':<14}  malignant probability")
    for row in rows:
        if "error" in row:
            typer.echo(f"{row['file']:<{width}}  {'ERROR':<14}  {row['error']}")
        else:
            typer.echo(f"{row['file']:<{width}}  {row['classification']:<14}  {row['malignantProbability']:.3f}")
