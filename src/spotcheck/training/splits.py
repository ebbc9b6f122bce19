"""Stratified train/validation/test splits that keep each lesion (or patient) whole, and their manifest."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np

from spotcheck.training.dataset import LesionImage

__all__ = ["SPLITS", "manifest_sha256", "read_manifest", "split_by_lesion", "write_manifest"]

SPLITS = ("train", "val", "test")

# A group (a patient) with lesions of several diagnoses is stratified by the most serious one.
_SEVERITY = ("mel", "bcc", "akiec", "bkl", "df", "vasc", "nv")


def split_by_lesion(
    records: list[LesionImage], *, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, str]:
    """Map every image id to a split so that all images of one lesion (``split_group``) share it.

    Groups (lesions; patients for phone photos) are shuffled within each diagnosis, then cut by
    fraction, which keeps the class mix of every split close to that of the whole set.
    """
    dx_of_lesion: dict[str, str] = {}
    for record in records:
        known = dx_of_lesion.get(record.split_group)
        if known is None or _SEVERITY.index(record.dx) < _SEVERITY.index(known):
            dx_of_lesion[record.split_group] = record.dx
    lesions_by_dx: dict[str, list[str]] = defaultdict(list)
    for lesion, dx in dx_of_lesion.items():
        lesions_by_dx[dx].append(lesion)
    rng = np.random.default_rng(seed)
    split_of_lesion: dict[str, str] = {}
    for dx in sorted(lesions_by_dx):
        lesions = sorted(lesions_by_dx[dx])
        rng.shuffle(lesions)
        n_test = round(len(lesions) * test_fraction)
        n_val = round(len(lesions) * val_fraction)
        for i, lesion in enumerate(lesions):
            split_of_lesion[lesion] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return {r.image_id: split_of_lesion[r.split_group] for r in records}


def write_manifest(path: Path, records: list[LesionImage], split_of: dict[str, str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["image_id", "lesion_id", "dx", "split"])
        for r in records:
            writer.writerow([r.image_id, r.lesion_id, r.dx, split_of[r.image_id]])


def read_manifest(path: Path) -> dict[str, str]:
    with path.open(newline="") as handle:
        return {row["image_id"]: row["split"] for row in csv.DictReader(handle)}


def manifest_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
