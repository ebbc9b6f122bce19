"""Load labelled lesion photos: HAM10000-style dermatoscopic folders and PAD-UFES-20-style phone photos."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.classifier.metadata import InputSpec
from spotcheck.classifier.preprocess import resize_rgb

__all__ = [
    "PAD_DIAGNOSES",
    "DatasetError",
    "Domain",
    "LesionImage",
    "find_metadata_file",
    "load_images",
    "load_records",
]

_METADATA_NAMES = ("metadata.csv", "HAM10000_metadata.csv")

# PAD-UFES-20's diagnoses in the model's classes. Squamous cell carcinoma (incl. Bowen's disease)
# and actinic keratosis join akiec, which in HAM10000 groups actinic keratosis with Bowen's disease;
# both send the lesion to further examination, which is right for a screening aid.
PAD_DIAGNOSES: dict[str, str] = {
    "BCC": "bcc",
    "SCC": "akiec",
    "ACK": "akiec",
    "MEL": "mel",
    "NEV": "nv",
    "SEK": "bkl",
}


class Domain(StrEnum):
    """The kind of photo: through a dermatoscope, or with a phone's own camera."""

    DERMATOSCOPIC = "dermatoscopic"
    SMARTPHONE = "smartphone"


class DatasetError(Exception):
    """The folder is not a HAM10000-style data set."""


@dataclass(frozen=True, slots=True)
class LesionImage:
    image_id: str
    lesion_id: str
    dx: str  # one of DIAGNOSES: the class the model is trained on
    path: Path
    domain: Domain = Domain.DERMATOSCOPIC
    # What every split keeps together: the lesion (HAM10000), or the patient (PAD-UFES-20, where
    # one patient can have several lesions).
    group_id: str = ""
    source_dx: str = ""  # the data set's own diagnosis, e.g. PAD's "ACK"
    fitzpatrick: str = ""
    sex: str = ""

    @property
    def split_group(self) -> str:
        return self.group_id or self.lesion_id

    @property
    def in_binary_figures(self) -> bool:
        """Actinic keratoses on phone photos are pre-malignant: reported apart from malignant vs benign."""
        return self.source_dx != "ACK"


def find_metadata_file(root: Path) -> Path:
    for name in _METADATA_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    raise DatasetError(f"{root} holds none of {', '.join(_METADATA_NAMES)}")


def _image_paths(root: Path) -> dict[str, Path]:
    return {
        p.stem: p
        for p in root.rglob("*")
        if p.suffix.lower() in (".jpg", ".jpeg", ".png") and "segmentation" not in p.stem
    }


def load_records(root: Path) -> list[LesionImage]:
    """Every labelled image of the data set, sorted by image id.

    Images are found by id anywhere below ``root``, so both ``images/`` (the shared
    folder) and ``HAM10000_images_part_1/`` + ``..._part_2/`` (the original) work. A metadata
    file with PAD-UFES-20's columns (``diagnostic``, ``patient_id``) is read as phone photos.
    """
    metadata = find_metadata_file(root)
    with metadata.open(newline="") as handle:
        columns = set(csv.DictReader(handle).fieldnames or ())
    if {"diagnostic", "patient_id"} <= columns:
        return _load_pad_records(root, metadata)
    paths = _image_paths(root)
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
            records.append(
                LesionImage(image_id, row["lesion_id"].strip(), dx, path, sex=(row.get("sex") or "").strip().lower())
            )
    if not records:
        raise DatasetError(f"{metadata} lists no images")
    return sorted(records, key=lambda r: r.image_id)


def _load_pad_records(root: Path, metadata: Path) -> list[LesionImage]:
    paths = _image_paths(root)
    records: list[LesionImage] = []
    with metadata.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        # The original PAD-UFES-20 metadata names the image column img_id.
        id_column = "image_id" if "image_id" in columns else "img_id"
        missing = {id_column, "diagnostic", "patient_id", "lesion_id"} - columns
        if missing:
            raise DatasetError(
                f"{metadata} lacks the column(s) {', '.join(sorted(missing))}; expected at least "
                f"image_id (or img_id), diagnostic, patient_id, lesion_id (found {', '.join(sorted(columns))})"
            )
        for row in reader:
            image_id, diagnostic = row[id_column].strip(), row["diagnostic"].strip()
            stem = image_id.rsplit(".", 1)[0] if image_id.lower().endswith((".png", ".jpg")) else image_id
            if diagnostic not in PAD_DIAGNOSES:
                raise DatasetError(
                    f"{metadata}: unknown diagnostic {diagnostic!r} for {image_id}; "
                    f"expected one of {', '.join(PAD_DIAGNOSES)}"
                )
            path = paths.get(stem)
            if path is None:
                raise DatasetError(f"{metadata} lists {image_id} but no image {stem}.* exists below {root}")
            fitzpatrick = (row.get("fitspatrick") or "").strip()
            records.append(
                LesionImage(
                    image_id=stem,
                    lesion_id=f"{row['patient_id'].strip()}/{row['lesion_id'].strip()}",
                    dx=PAD_DIAGNOSES[diagnostic],
                    path=path,
                    domain=Domain.SMARTPHONE,
                    group_id=row["patient_id"].strip(),
                    source_dx=diagnostic,
                    fitzpatrick=fitzpatrick.split(".")[0] if fitzpatrick else "",
                    sex=(row.get("gender") or "").strip().lower(),
                )
            )
    if not records:
        raise DatasetError(f"{metadata} lists no images")
    return sorted(records, key=lambda r: r.image_id)


def load_images(records: list[LesionImage], spec: InputSpec) -> np.ndarray:
    """Decode and resize every image into one uint8 array of shape (N, H, W, 3)."""
    out = np.empty((len(records), spec.height, spec.width, 3), dtype=np.uint8)
    for i, record in enumerate(tqdm(records, desc="decoding", unit="img", leave=False)):
        try:
            with Image.open(record.path) as img:
                out[i] = resize_rgb(img, spec)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise DatasetError(f"cannot read the image {record.path}: {exc}") from None
    return out
