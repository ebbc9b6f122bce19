from __future__ import annotations

import hashlib
import random
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("torch")

from smoke_run import DATA_DIR

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.training.dataset import LesionImage, load_records
from spotcheck.training.splits import (
    SPLITS,
    cross_validation_fold,
    manifest_sha256,
    read_manifest,
    split_by_lesion,
    write_manifest,
)

pytestmark = pytest.mark.training

# Lesions per diagnosis, roughly HAM10000's imbalance; lesion i has 1 + i % 3 images.
LESIONS = {"akiec": 40, "bcc": 60, "bkl": 120, "df": 20, "mel": 110, "nv": 600, "vasc": 25}


def _records() -> list[LesionImage]:
    records = []
    for dx, count in LESIONS.items():
        for i in range(count):
            lesion = f"HAM_{dx}_{i:04d}"
            records += [
                LesionImage(f"ISIC_{dx}_{i:04d}_{j}", lesion, dx, Path(f"{lesion}_{j}.jpg")) for j in range(1 + i % 3)
            ]
    return records


def _split(records: list[LesionImage], seed: int = 7) -> dict[str, str]:
    return split_by_lesion(records, val_fraction=0.15, test_fraction=0.2, seed=seed)


def _assert_lesion_disjoint(records: list[LesionImage], split_of: dict[str, str]) -> None:
    splits_of_lesion: dict[str, set[str]] = {}
    for r in records:
        splits_of_lesion.setdefault(r.lesion_id, set()).add(split_of[r.image_id])
    shared = {lesion: s for lesion, s in splits_of_lesion.items() if len(s) > 1}
    assert not shared, f"lesions in several splits: {shared}"


def test_every_image_gets_a_split_and_no_lesion_is_in_two() -> None:
    records = _records()
    split_of = _split(records)
    assert split_of.keys() == {r.image_id for r in records}
    assert set(split_of.values()) == set(SPLITS)
    _assert_lesion_disjoint(records, split_of)


def test_each_diagnosis_is_in_every_split_in_its_fraction() -> None:
    records = _records()
    split_of = _split(records)
    lesions = Counter((r.dx, split_of[r.image_id]) for r in {r.lesion_id: r for r in records}.values())
    for dx, count in LESIONS.items():
        for split, fraction in (("val", 0.15), ("test", 0.2), ("train", 0.65)):
            # Cut per diagnosis and rounded: within one lesion of the exact share.
            assert abs(lesions[dx, split] - fraction * count) <= 1, (dx, split, lesions[dx, split])
            assert lesions[dx, split] >= 1


def test_same_seed_same_split_whatever_the_record_order() -> None:
    records = _records()
    shuffled = records.copy()
    random.Random(3).shuffle(shuffled)
    assert _split(records) == _split(shuffled)
    assert _split(records, seed=8) != _split(records)


def test_manifest_round_trip_and_stable_hash(tmp_path: Path) -> None:
    records = _records()
    split_of = _split(records)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_manifest(first, records, split_of)
    write_manifest(second, records, _split(list(reversed(records))))
    assert read_manifest(first) == split_of
    assert first.read_text().splitlines()[0] == "image_id,lesion_id,dx,split"
    assert manifest_sha256(first) == manifest_sha256(second) == hashlib.sha256(first.read_bytes()).hexdigest()

    moved = dict(split_of)
    moved[records[0].image_id] = "test" if split_of[records[0].image_id] != "test" else "train"
    write_manifest(second, records, moved)
    assert manifest_sha256(second) != manifest_sha256(first)


def test_the_shared_data_set_splits_cleanly() -> None:
    if not (DATA_DIR / "metadata.csv").is_file():
        pytest.skip(f"the shared data set is not at {DATA_DIR}")
    records = load_records(DATA_DIR)
    split_of = split_by_lesion(records, val_fraction=0.15, test_fraction=0.15, seed=20261126)
    _assert_lesion_disjoint(records, split_of)
    images = Counter(split_of.values())
    assert abs(images["test"] / len(records) - 0.15) < 0.02
    for dx in DIAGNOSES:
        of_dx = [split_of[r.image_id] for r in records if r.dx == dx]
        for split in SPLITS:
            assert of_dx.count(split) > 0, (dx, split)


def _folds(records: list[LesionImage], folds: int = 4) -> tuple[dict[str, str], list[dict[str, str]]]:
    split_of = _split(records)
    return split_of, [cross_validation_fold(records, split_of, folds=folds, fold=k, seed=7) for k in range(folds)]


def test_cross_validation_keeps_the_test_split_and_validates_every_other_lesion_once() -> None:
    records = _records()
    split_of, folds = _folds(records)
    for fold in folds:
        assert {i for i, s in fold.items() if s == "test"} == {i for i, s in split_of.items() if s == "test"}
        _assert_lesion_disjoint(records, fold)
    non_test = [r.image_id for r in records if split_of[r.image_id] != "test"]
    assert all(sum(fold[i] == "val" for fold in folds) == 1 for i in non_test)


def test_cross_validation_deals_each_diagnosis_evenly_into_the_folds() -> None:
    records = _records()
    split_of, folds = _folds(records)
    lesions = {r.lesion_id: r for r in records if split_of[r.image_id] != "test"}.values()
    for dx in LESIONS:
        per_fold = [sum(1 for r in lesions if r.dx == dx and fold[r.image_id] == "val") for fold in folds]
        assert max(per_fold) - min(per_fold) <= 1, (dx, per_fold)


def test_a_fold_outside_the_folds_is_refused() -> None:
    records = _records()
    with pytest.raises(ValueError, match=r"not one of 0\.\.3"):
        cross_validation_fold(records, _split(records), folds=4, fold=4, seed=7)
