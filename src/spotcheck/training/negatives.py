"""Ordinary photos that are not of a lesion, split for fitting and measuring the photo gate."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

__all__ = ["negative_splits"]


def negative_splits(folder: Path, seed: int) -> dict[str, list[tuple[Path, str]]]:
    """(path, category) of each photo by split: every category is cut 60/20/20 at random.

    The folder holds ``images/<image_id>.jpg`` and ``labels.csv`` with ``image_id, category``.
    """
    by_category: dict[str, list[Path]] = defaultdict(list)
    with (folder / "labels.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            path = folder / "images" / f"{row['image_id']}.jpg"
            if path.is_file():
                by_category[row["category"]].append(path)
    rng = np.random.default_rng(seed)
    splits: dict[str, list[tuple[Path, str]]] = {"train": [], "val": [], "test": []}
    for category in sorted(by_category):
        paths = sorted(by_category[category])
        rng.shuffle(paths)
        n_val, n_test = round(len(paths) * 0.2), round(len(paths) * 0.2)
        for i, path in enumerate(paths):
            split = "val" if i < n_val else "test" if i < n_val + n_test else "train"
            splits[split].append((path, category))
    return splits
