"""``spotcheck classify``: offline classification of image files and folders."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import numpy as np

    from spotcheck.classifier.base import Assessment, Refusal
    from spotcheck.classifier.onnx import OnnxClassifier

__all__ = ["classify_command", "iter_image_paths"]

_DECODE_BATCH = 32
# Pillow releases the GIL while decoding, so two threads decode the next batch while ONNX Runtime
# runs the current one; more threads only compete with inference for the same cores.
_DECODE_THREADS = 2
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


class OutputFormat(StrEnum):
    jsonl = "jsonl"
    table = "table"


def iter_image_paths(
    paths: list[Path], on_unreadable_folder: Callable[[OSError], None] = lambda _error: None
) -> Iterator[Path]:
    """Files as given; folders walked for image files, sorted. Links to folders are followed (each
    folder once), a link to a missing file is listed (its row then says it cannot be read), and a
    folder that cannot be listed goes to ``on_unreadable_folder``."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found: list[Path] = []
        seen: set[Path] = set()
        for root, folders, names in os.walk(path, onerror=on_unreadable_folder, followlinks=True):
            real = Path(root).resolve()
            if real in seen:  # a link back up the tree, or a second link to one folder
                folders.clear()
                continue
            seen.add(real)
            found += [Path(root) / name for name in names if Path(name).suffix.lower() in _IMAGE_SUFFIXES]
        yield from sorted(found)


def _decode(path: Path, classifier: OnnxClassifier) -> np.ndarray | Refusal | str:
    """The image upright and prepared for the model (or refused by the photo gate), or why it cannot be read."""
    return _read(path, classifier, with_size=False)[0]


def _read(
    path: Path, classifier: OnnxClassifier, *, with_size: bool
) -> tuple[np.ndarray | Refusal | str, tuple[int, int]]:
    """``_decode`` and, ``with_size`` (for a heatmap), the photo's (width, height) as read, upright;
    (0, 0) otherwise or when it cannot be read."""
    from PIL import Image

    from spotcheck.images.decode import decode_for_model

    try:
        size = _upright_size(path) if with_size else (0, 0)
        # Read as the server's workers read a stored upload: upright, 8-bit RGB, transparency on
        # white, a JPEG decoded at the smallest scale that keeps twice the model's input size.
        return classifier.prepare(decode_for_model(path, at_least=classifier.decode_size)), size
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        return f"cannot read image: {exc}", (0, 0)


def _upright_size(path: Path) -> tuple[int, int]:
    """The photo's size from its header, before a reduced decode; EXIF orientations 5 to 8 turn it."""
    from PIL import ExifTags, Image

    with Image.open(path) as header:
        width, height = header.size
        turned = header.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8)
    return (height, width) if turned else (width, height)


def _decoded_batches(
    files: list[Path], classifier: OnnxClassifier, pool: ThreadPoolExecutor, *, with_size: bool
) -> Iterator[list[tuple[Path, Future[tuple[np.ndarray | Refusal | str, tuple[int, int]]]]]]:
    """Batches of pending decodes, the next batch always already submitted (one batch of look-ahead)."""
    batches = [files[start : start + _DECODE_BATCH] for start in range(0, len(files), _DECODE_BATCH)]
    pending = [(p, pool.submit(_read, p, classifier, with_size=with_size)) for p in batches[0]] if batches else []
    for following in [*batches[1:], []]:
        current = pending
        pending = [(p, pool.submit(_read, p, classifier, with_size=with_size)) for p in following]
        yield current


def _heatmap_folder(folder: Path, files: list[Path], classifier: OnnxClassifier) -> None:
    """Check up front that ``--heatmaps`` can be honoured: the model gives maps, the folder can be made,
    and no two photos would write the same file."""
    if not classifier.gives_heatmaps:
        typer.echo(f"spotcheck: --heatmaps: the model {classifier.version} has no heatmap output", err=True)
        raise typer.Exit(2)
    stems: dict[str, Path] = {}
    for path in files:
        if path.stem in stems:
            typer.echo(
                f"spotcheck: --heatmaps: {stems[path.stem]} and {path} would both write {path.stem}.png", err=True
            )
            raise typer.Exit(2)
        stems[path.stem] = path
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        typer.echo(f"spotcheck: --heatmaps: cannot make the folder {folder}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None


def classify_command(
    paths: Annotated[list[Path], typer.Argument(help="Image files or folders.")],
    output_format: Annotated[OutputFormat, typer.Option("--format", help="jsonl: one JSON object per line.")] = (
        OutputFormat.table
    ),
    model: Annotated[
        Path | None, typer.Option(help="ONNX model (its .json beside it); default: the shipped one.")
    ] = None,
    heatmaps: Annotated[
        Path | None,
        typer.Option(
            help="Write DIR/<file stem>.png for every answered photo: where the model looked, greyscale at "
            "the photo's size, brighter meaning more weight toward a closer look.",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """Classify lesion images with the shipped model, without a server.

    Exits 1 when no file could be read (each unreadable file has a row saying why either way).
    """
    from pillow_heif import register_heif_opener
    from tqdm import tqdm

    from spotcheck.classifier.base import ModelUnavailableError
    from spotcheck.classifier.onnx import OnnxClassifier
    from spotcheck.classifier.packaged import packaged_model_path

    register_heif_opener()
    try:
        classifier = OnnxClassifier(model or packaged_model_path())
    except ModelUnavailableError as exc:
        typer.echo(f"spotcheck: {exc}", err=True)
        raise typer.Exit(2) from None

    def unreadable(error: OSError) -> None:
        typer.echo(f"spotcheck: cannot read folder {error.filename}: {error.strerror}", err=True)

    files = list(iter_image_paths(paths, unreadable))
    if not files:
        suffixes = ", ".join(sorted(_IMAGE_SUFFIXES))
        typer.echo(f"spotcheck: no image files ({suffixes}) in {', '.join(map(str, paths))}", err=True)
        raise typer.Exit(1)
    if heatmaps is not None:
        _heatmap_folder(heatmaps, files, classifier)
    rows: list[dict[str, Any]] = []
    errors = 0
    progress = tqdm(total=len(files), unit="img", file=sys.stderr, disable=not sys.stderr.isatty())
    with ThreadPoolExecutor(_DECODE_THREADS, thread_name_prefix="decode") as pool:
        for batch in _decoded_batches(files, classifier, pool, with_size=heatmaps is not None):
            read = {path: future.result() for path, future in batch}
            decoded = [(path, outcome) for path, (outcome, _size) in read.items()]
            readable = [(path, prepared) for path, prepared in decoded if not isinstance(prepared, str)]
            assessments = classifier.assess([prepared for _, prepared in readable], heatmaps=heatmaps is not None)
            results: dict[Path, dict[str, Any]] = {
                path: {"file": str(path), "error": outcome} for path, outcome in decoded if isinstance(outcome, str)
            }
            for (path, _), assessment in zip(readable, assessments, strict=True):
                results[path] = _row(path, assessment)
                if heatmaps is not None:
                    _write_heatmap(heatmaps / f"{path.stem}.png", assessment, read[path][1])
            for path, _ in batch:
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
    if errors == len(files):  # nothing classified: a mistyped path must not look like success
        raise typer.Exit(1)


def _write_heatmap(path: Path, assessment: Assessment, size: tuple[int, int]) -> None:
    from spotcheck.classifier.base import Prediction
    from spotcheck.classifier.heatmap import heatmap_image

    if isinstance(assessment, Prediction) and assessment.heatmap is not None:
        heatmap_image(assessment.heatmap, size).save(path, format="PNG")


def _row(path: Path, assessment: Assessment) -> dict[str, Any]:
    from spotcheck.classifier.report import assessment_report

    return {"file": str(path), **assessment_report(assessment)}


def _print_table(rows: list[dict[str, Any]]) -> None:
    width = max([len(r["file"]) for r in rows] + [4])
    typer.echo(f"{'file':<{width}}  {'classification':<14}  malignant probability")
    for row in rows:
        if "error" in row:
            typer.echo(f"{row['file']:<{width}}  {'ERROR':<14}  {row['error']}")
        elif row["classification"] is None:
            typer.echo(f"{row['file']:<{width}}  {'REFUSED':<14}  {row['refused']}")
        else:
            typer.echo(f"{row['file']:<{width}}  {row['classification']:<14}  {row['malignantProbability']:.3f}")
