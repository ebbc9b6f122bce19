"""scripts/phone_melanoma_scores.py with the gated tiny model on a small PAD-style folder."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

from smoke_run import load_script

from images import BLUE, GREEN, RED, image_bytes

pytestmark = pytest.mark.training

# (image id, patient, diagnosis, colour): red is malignant to the tiny model, blue benign, green
# is refused by its photo gate.
PHOTOS = [
    ("PAT_1_1_10", "PAT_1", "MEL", RED),
    ("PAT_2_2_11", "PAT_2", "MEL", GREEN),
    ("PAT_3_3_12", "PAT_3", "NEV", BLUE),
    ("PAT_4_4_13", "PAT_4", "SEK", BLUE),
    ("PAT_5_5_14", "PAT_5", "ACK", RED),
    ("PAT_6_6_15", "PAT_6", "MEL", RED),  # another split
]


def test_each_melanoma_is_listed_and_a_refused_one_is_not_flagged(
    gated_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "images").mkdir()
    rows = ["image_id,patient_id,lesion_id,diagnostic"]
    manifest = ["image_id,lesion_id,dx,split"]
    for image_id, patient, dx, colour in PHOTOS:
        (tmp_path / "images" / f"{image_id}.jpg").write_bytes(image_bytes(colour, size=(400, 300)))
        rows.append(f"{image_id},{patient},{image_id.split('_')[2]},{dx}")
        manifest.append(f"{image_id},{patient},x,{'test' if patient == 'PAT_6' else 'val'}")
    (tmp_path / "metadata.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "manifest.csv").write_text("\n".join(manifest) + "\n")

    args = [
        "--model",
        str(gated_model_path),
        "--phone-dir",
        str(tmp_path),
        "--manifest",
        str(tmp_path / "manifest.csv"),
    ]
    assert load_script("phone_melanoma_scores").main([*args, "--split", "val", "--thresholds", "0.0"]) == 0

    out = capsys.readouterr().out
    assert ": 4 phone photos, 2 melanomas" in out  # the actinic keratosis and the test photo left out
    assert "PAT_2_2_11" in out and "(refused by the photo gate)" in out
    threshold_lines = [line for line in out.splitlines() if line.startswith("threshold")]
    assert len(threshold_lines) == 2
    assert all("melanomas flagged 1/2" in line for line in threshold_lines)  # not even at 0.0
    assert "sensitivity 0.500  specificity 1.000" in threshold_lines[0]
