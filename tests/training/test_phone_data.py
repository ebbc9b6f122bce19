"""Phone photos beside dermatoscopic ones: PAD-UFES-20 folders, patient splits, phone-style views, one threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")

import torch

from spotcheck.classifier.metadata import InputSpec
from spotcheck.classifier.preprocess import resize_rgb
from spotcheck.training.augment import phone_style
from spotcheck.training.dataset import DatasetError, Domain, load_images, load_records
from spotcheck.training.pipeline import safe_threshold
from spotcheck.training.splits import read_manifest, split_by_lesion
from spotcheck.training.trainer import LabelledImages, domain_aucs

pytestmark = pytest.mark.training

PAD_HEADER = "image_id,patient_id,lesion_id,fitspatrick,gender,diagnostic\n"
PAD_ROWS = [
    ("PAT_1_1_10", "PAT_1", "1", "2.0", "FEMALE", "MEL"),
    ("PAT_1_2_11", "PAT_1", "2", "2.0", "FEMALE", "NEV"),
    ("PAT_2_3_12", "PAT_2", "3", "", "", "ACK"),
    ("PAT_3_4_13", "PAT_3", "4", "3.0", "MALE", "SEK"),
    ("PAT_4_5_14", "PAT_4", "5", "1.0", "MALE", "SCC"),
]


@pytest.fixture
def pad_folder(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    (tmp_path / "metadata.csv").write_text(PAD_HEADER + "".join(",".join(row) + "\n" for row in PAD_ROWS))
    for image_id, *_ in PAD_ROWS:
        Image.new("RGB", (300, 300), (180, 120, 100)).save(tmp_path / "images" / f"{image_id}.jpg")
    return tmp_path


def test_a_pad_folder_reads_as_phone_photos_in_the_models_classes(pad_folder: Path) -> None:
    records = {r.image_id: r for r in load_records(pad_folder)}
    assert {r.domain for r in records.values()} == {Domain.SMARTPHONE}
    assert [records[i].dx for i in ("PAT_1_1_10", "PAT_1_2_11", "PAT_2_3_12", "PAT_3_4_13", "PAT_4_5_14")] == [
        "mel",
        "nv",
        "akiec",
        "bkl",
        "akiec",
    ]
    assert records["PAT_2_3_12"].source_dx == "ACK"
    assert records["PAT_1_1_10"].split_group == "PAT_1" == records["PAT_1_2_11"].split_group
    assert (records["PAT_1_1_10"].fitzpatrick, records["PAT_1_1_10"].sex) == ("2", "female")


def test_the_original_layout_names_its_images_img_id_with_their_suffix(pad_folder: Path) -> None:
    text = (pad_folder / "metadata.csv").read_text().replace("image_id,", "img_id,", 1)
    lines = text.splitlines()
    (pad_folder / "metadata.csv").write_text(
        "\n".join([lines[0]] + [line.replace(",", ".png,", 1) for line in lines[1:]]) + "\n"
    )
    assert sorted(r.image_id for r in load_records(pad_folder)) == sorted(row[0] for row in PAD_ROWS)


def test_an_unreadable_image_or_a_file_that_is_no_manifest_is_a_dataset_error(pad_folder: Path) -> None:
    (pad_folder / "images" / "PAT_1_1_10.jpg").write_bytes(b"")
    records = load_records(pad_folder)
    spec = InputSpec(height=30, width=40, mean=(0.5,) * 3, std=(0.5,) * 3, fit="crop")
    with pytest.raises(DatasetError, match=r"cannot read the image .*PAT_1_1_10\.jpg"):
        load_images(records, spec)
    with pytest.raises(DatasetError, match="is not a split manifest"):
        read_manifest(pad_folder / "metadata.csv")


def test_a_patients_lesions_share_one_split(pad_folder: Path) -> None:
    records = load_records(pad_folder)
    for seed in range(20):
        split = split_by_lesion(records, val_fraction=0.3, test_fraction=0.3, seed=seed)
        assert split["PAT_1_1_10"] == split["PAT_1_2_11"]


def test_crop_fit_turns_portrait_photos_and_keeps_proportions() -> None:
    spec = InputSpec(height=15, width=20, mean=(0.5,) * 3, std=(0.5,) * 3, fit="crop")
    portrait = np.zeros((40, 30, 3), dtype=np.uint8)
    portrait[:, :15] = 255  # left half white: after turning, the top or bottom half
    pixels = resize_rgb(Image.fromarray(portrait), spec)
    assert pixels.shape == (15, 20, 3)
    rows = pixels.mean(axis=(1, 2))
    assert abs(rows[0] - rows[-1]) > 200  # one edge white, the other black: turned, not squeezed
    square = resize_rgb(Image.new("RGB", (300, 300), (10, 20, 30)), spec)
    assert square.shape == (15, 20, 3) and (square == (10, 20, 30)).all()


def test_phone_style_changes_only_the_chosen_images_and_stays_in_range() -> None:
    images = torch.rand(4, 3, 30, 40)
    chosen = torch.tensor([True, False, True, False])
    styled = phone_style(images, chosen, torch.Generator().manual_seed(0))
    assert torch.equal(styled[1], images[1]) and torch.equal(styled[3], images[3])
    assert not torch.equal(styled[0], images[0])
    assert styled.min() >= 0.0 and styled.max() <= 1.0
    again = phone_style(images, chosen, torch.Generator().manual_seed(0))
    assert torch.equal(styled, again)


def _labelled(scores_malignant: list[int], phone: list[bool], binary: list[bool] | None = None) -> LabelledImages:
    n = len(phone)
    return LabelledImages(
        pixels=np.zeros((n, 2, 2, 3), dtype=np.uint8),
        classes=np.zeros(n, dtype=np.int64),
        malignant=np.array(scores_malignant, dtype=np.int64),
        phone=np.array(phone),
        binary=np.array(binary if binary is not None else [True] * n),
    )


def test_the_threshold_is_safe_for_the_kind_of_photo_that_needs_it_lower() -> None:
    # Dermatoscopic malignant scores are high; the phone photos' malignant one is low.
    data = _labelled([1, 1, 0, 1, 0], [False, False, False, True, True])
    scores = np.array([0.9, 0.8, 0.1, 0.3, 0.05])
    threshold, per_domain = safe_threshold(data, scores, target=1.0)
    assert per_domain["smartphone"] < per_domain["dermatoscopic"]
    assert threshold == per_domain["smartphone"]
    assert (scores[data.malignant == 1] >= threshold).all()


def test_left_out_images_do_not_count_in_the_auc() -> None:
    data = _labelled([1, 0, 1, 0], [True] * 4, binary=[True, True, False, True])
    scores = np.array([0.9, 0.2, 0.0, 0.1])  # the left-out malignant image would spoil a perfect AUC
    assert domain_aucs(data, scores) == {"smartphone": 1.0}
