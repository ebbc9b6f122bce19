from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")

from smoke_run import DATA_DIR

from spotcheck.classifier.labels import DIAGNOSES
from spotcheck.classifier.metadata import InputSpec
from spotcheck.training.dataset import DatasetError, find_metadata_file, load_images, load_records

pytestmark = pytest.mark.training

HEADER = "lesion_id,image_id,dx,dx_type,age,sex,localization\n"
ROWS = [
    ("HAM_0000001", "ISIC_0000004", "mel", (200, 40, 40)),
    ("HAM_0000001", "ISIC_0000001", "mel", (190, 50, 50)),
    ("HAM_0000002", "ISIC_0000002", "nv", (40, 40, 200)),
    ("HAM_0000003", "ISIC_0000003", "bkl", (40, 200, 40)),
]
SPEC = InputSpec(height=15, width=20, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))


def _metadata(rows: list[tuple[str, str, str, tuple[int, int, int]]]) -> str:
    return HEADER + "".join(f"{lesion},{image},{dx},histo,50.0,female,back\n" for lesion, image, dx, _ in rows)


def _jpeg(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (60, 45)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, quality=95)


@pytest.fixture
def original_layout(tmp_path: Path) -> Path:
    """The Dataverse release: HAM10000_metadata.csv and the images in two part folders, full size."""
    (tmp_path / "HAM10000_metadata.csv").write_text(_metadata(ROWS))
    for n, (_, image, _, colour) in enumerate(ROWS):
        _jpeg(tmp_path / f"HAM10000_images_part_{1 + n % 2}" / f"{image}.jpg", colour, size=(600, 450))
    return tmp_path


@pytest.fixture
def shared_layout(tmp_path: Path) -> Path:
    """The shared folder: metadata.csv, images/ and masks/."""
    (tmp_path / "metadata.csv").write_text(_metadata(ROWS))
    for _, image, _, colour in ROWS:
        _jpeg(tmp_path / "images" / f"{image}.jpg", colour)
        (tmp_path / "masks").mkdir(exist_ok=True)
        Image.new("L", (60, 45), 255).save(tmp_path / "masks" / f"{image}_segmentation.png")
    return tmp_path


@pytest.mark.parametrize("layout", ["shared_layout", "original_layout"])
def test_reads_both_layouts(layout: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(layout)
    records = load_records(root)
    assert [r.image_id for r in records] == ["ISIC_0000001", "ISIC_0000002", "ISIC_0000003", "ISIC_0000004"]
    assert [(r.lesion_id, r.dx) for r in records[:2]] == [("HAM_0000001", "mel"), ("HAM_0000002", "nv")]
    assert all(r.path.is_file() and r.path.stem == r.image_id for r in records)

    pixels = load_images(records, SPEC)
    assert pixels.shape == (4, 15, 20, 3)
    assert pixels.dtype == np.uint8
    # ISIC_0000002 is blue: the loader keeps RGB order.
    assert pixels[1, ..., 2].mean() > 150 > pixels[1, ..., 0].mean()


def test_prefers_metadata_csv(shared_layout: Path) -> None:
    (shared_layout / "HAM10000_metadata.csv").write_text(HEADER)
    assert find_metadata_file(shared_layout).name == "metadata.csv"


def test_missing_metadata(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"holds none of metadata\.csv, HAM10000_metadata\.csv"):
        load_records(tmp_path)


def test_missing_image(original_layout: Path) -> None:
    (original_layout / "HAM10000_images_part_2" / "ISIC_0000001.jpg").unlink()
    with pytest.raises(DatasetError, match=r"lists ISIC_0000001 but no ISIC_0000001\.jpg exists"):
        load_records(original_layout)


def test_unknown_diagnosis(shared_layout: Path) -> None:
    rows = [*ROWS[:2], ("HAM_0000009", "ISIC_0000002", "scc", (0, 0, 0))]
    (shared_layout / "metadata.csv").write_text(_metadata(rows))
    with pytest.raises(DatasetError, match=r"unknown diagnosis 'scc' for ISIC_0000002; expected one of akiec, bcc"):
        load_records(shared_layout)


def test_missing_column(shared_layout: Path) -> None:
    (shared_layout / "metadata.csv").write_text("image_id,diagnosis\nISIC_0000001,mel\n")
    with pytest.raises(DatasetError, match=r"lacks the column\(s\) dx, lesion_id"):
        load_records(shared_layout)


def test_no_images_listed(shared_layout: Path) -> None:
    (shared_layout / "metadata.csv").write_text(HEADER)
    with pytest.raises(DatasetError, match="lists no images"):
        load_records(shared_layout)


def test_the_shared_data_set() -> None:
    if not (DATA_DIR / "metadata.csv").is_file():
        pytest.skip(f"the shared data set is not at {DATA_DIR}")
    records = load_records(DATA_DIR)
    assert len(records) == 8497
    assert {r.dx for r in records} == set(DIAGNOSES)
    assert all(r.path.parent.name == "images" for r in records)
