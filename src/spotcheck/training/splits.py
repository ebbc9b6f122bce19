"""Stratified train/validation/test splits that keep each lesion (or patient) whole, and their manifest."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np

from spotcheck.training.dataset import DatasetError, LesionImage

__all__ = ["SPLITS", "cross_validation_fold", "manifest_sha256", "read_manifest", "split_by_lesion", "write_manifest"]

SPLITS = ("train", "val", "test")

# A group (a patient) with lesions of several diagnoses is stratified by the most serious one.
_SEVERITY = ("mel", "bcc", "akiec", "bkl", "df", "vasc", "nv")


def _groups_by_dx(records: list[LesionImage]) -> dict[str, list[str]]:
    """Groups (lesions or patients) by their most serious diagnosis, each list sorted."""
    dx_of_group: dict[str, str] = {}
    for record in records:
        known = dx_of_group.get(record.split_group)
        if known is None or _SEVERITY.index(record.dx) < _SEVERITY.index(known):
            dx_of_group[record.split_group] = record.dx
    groups_by_dx: dict[str, list[str]] = defaultdict(list)
    for group, dx in dx_of_group.items():
        groups_by_dx[dx].append(group)
    return {dx: sorted(groups) for dx, groups in sorted(groups_by_dx.items())}


def split_by_lesion(
    records: list[LesionImage], *, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, str]:
    """Map every image id to a split so that all images of one lesion (``split_group``) share it.

    Groups (lesions; patients for phone photos) are shuffled within each diagnosis, then cut by
    fraction, which keeps the class mix of every split close to that of the whole set.
    """
    rng = np.random.default_rng(seed)
    split_of_group: dict[str, str] = {}
    for groups in _groups_by_dx(records).values():
        rng.shuffle(groups)
        n_test = round(len(groups) * test_fraction)
        n_val = round(len(groups) * val_fraction)
        for i, group in enumerate(groups):
            split_of_group[group] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return {r.image_id: split_of_group[r.split_group] for r in records}


def cross_validation_fold(
    records: list[LesionImage], split_of: dict[str, str], *, folds: int, fold: int, seed: int
) -> dict[str, str]:
    """``split_of`` with its training and validation groups dealt into ``folds`` parts: part ``fold``
    validates, the others train. Test images keep their split.

    Groups are dealt in turn within each diagnosis, so every part gets its share of each (the few
    phone melanomas above all). The ``folds`` runs together score every non-test group once on
    validation, from a network that never trained on it.
    """
    if not 0 <= fold < folds:
        raise ValueError(f"fold {fold} is not one of 0..{folds - 1}")
    rng = np.random.default_rng(seed)
    kept = [r for r in records if split_of[r.image_id] != "test"]
    split_of_group: dict[str, str] = {}
    for groups in _groups_by_dx(kept).values():
        rng.shuffle(groups)
        for i, group in enumerate(groups):
            split_of_group[group] = "val" if i % folds == fold else "train"
    return {r.image_id: split_of_group.get(r.split_group, "test") for r in records}


def write_manifest(path: Path, records: list[LesionImage], split_of: dict[str, str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["image_id", "lesion_id", "dx", "split"])
        for r in records:
            writer.writerow([r.image_id, r.lesion_id, r.dx, split_of[r.image_id]])


def read_manifest(path: Path) -> dict[str, str]:
    """Image id -> split, from a run's split_manifest.csv."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"image_id", "split"} <= set(reader.fieldnames or ()):
            raise DatasetError(f"{path} is not a split manifest: it needs the columns image_id and split")
        return {row["image_id"]: row["split"] for row in reader}


def manifest_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
