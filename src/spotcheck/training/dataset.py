"""Load HAM10000-style data sets: the shared 200x150 folder or the original release layout."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.classifier.metadata import InputSpec
from spotcheck.classifier.preprocess import resize_rgb

__all__ = ["DatasetError", "LesionImage", "find_metadata_file", "load_images", "load_records"]

_METADATA_NAMES = ("metadata.csv", "HAM10000_metadata.csv")


class DatasetError(Exception):
    """The folder is not a HAM10000-style data set."""


@dataclass(frozen=True, slots=True)
class LesionImage:
    image_id: str
    lesion_id: str
    dx: str
    path: Path


def find_metadata_file(root: Path) -> Path:
    for name in _METADATA_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{root} holds none of {', '.join(_METADATA_NAMES)}")


def load_records(root: Path) -> list[LesionImage]:
    """Every labelled image of the data set, sorted by image id.

    Images are found by id anywhere below ``root``, so both ``images/`` (the shared
    folder) and ``HAM10000_images_part_1/`` + ``..._part_2/`` (the original) work.
    """
    metadata = find_metadata_file(root)
    paths = {p.stem: p for p in root.rglob("*.jpg") if "segmentation" not in p.stem}
    records: list[LesionImage] = []
    with metadata.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"lesion_id", "image_id", "dx"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(
                f"{metadata} lacks the column(s) {', '.join(sorted(missing))}; "
                f"expected at least lesion_id, image_id, dx (found {', '.join(reader.fieldnames or ()) or 'none'})"
            )
        for row in reader:
            image_id, dx = row["image_id"].strip(), row["dx"].strip()
            if dx not in DIAGNOSES:
                raise DatasetError(
                    f"{metadata}: unknown diagnosis {dx!r} for {image_id}; expected one of {', '.join(DIAGNOSES)}"
                )
            path = paths.get(image_id)
            if path is None:
                raise DatasetError(f"{metadata} lists {image_id} but no {image_id}.jpg exists below {root}")
            records.append(LesionImage(image_id, row["lesion_id"].strip(), dx, path))
    if not records:
        raise DatasetError(f"{metadata} lists no images")
    return sorted(records, key=lambda r: r.image_id)


def load_images(records: list[LesionImage], spec: InputSpec) -> np.ndarray:
    """Decode and resize every image into one uint8 array of shape (N, H, W, 3)."""
    out = np.empty((len(records), spec.height, spec.width, 3), dtype=np.uint8)
    for i, record in enumerate(tqdm(records, desc="decoding", unit="img", leave=False)):
        with Image.open(record.path) as img:
            out[i] = resize_rgb(img, spec)
    return out
