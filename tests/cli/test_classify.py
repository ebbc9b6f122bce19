from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from images import BLUE, GREEN, RED, image_bytes
from spotcheck.classifier.metadata import ModelMetadata
from spotcheck.classifier.onnx import OnnxClassifier, metadata_path_for
from spotcheck.cli import app
from spotcheck.cli.classify import _decode
from tiny_model import TINY_MODEL_VERSION

KEYS = {"file", "classification", "malignantProbability", "modelVersion", "threshold"}
REFUSED_KEYS = {"file", "classification", "refused", "modelVersion"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a-red.jpg").write_bytes(image_bytes(RED))
    (tmp_path / "b-broken.jpg").write_bytes(image_bytes(BLUE)[:40])
    (tmp_path / "c-blue.png").write_bytes(image_bytes(BLUE, fmt="PNG"))
    (tmp_path / "notes.txt").write_text("not an image, and not picked up from a folder")
    return tmp_path


def _jsonl(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_jsonl_has_one_line_per_image_and_the_broken_one_is_reported(folder: Path, tiny_model_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", "--format", "jsonl", "--model", str(tiny_model_path), str(folder)])
    assert result.exit_code == 0, result.output
    red, broken, blue = _jsonl(result.stdout)
    assert set(red) == set(blue) == KEYS
    assert red["file"] == str(folder / "a-red.jpg")
    assert (red["classification"], blue["classification"]) == ("MALIGNANT", "BENIGN")
    assert red["modelVersion"] == blue["modelVersion"] == TINY_MODEL_VERSION
    assert isinstance(red["malignantProbability"], float)
    assert 0.5 <= red["malignantProbability"] <= 1.0
    threshold = ModelMetadata.read(metadata_path_for(tiny_model_path)).threshold
    assert red["threshold"] == blue["threshold"] == pytest.approx(threshold)  # each line says where it flags
    assert set(broken) == {"file", "error"}
    assert str(broken["error"]).startswith("cannot read image")
    assert "1 of 3 files could not be read" in result.stderr


def test_files_are_classified_in_batches(tmp_path: Path, tiny_model_path: Path) -> None:
    # 70 files span three batches of 32; order and colours must survive the batching.
    paths = []
    for i in range(70):
        path = tmp_path / f"{i:03d}.jpg"
        path.write_bytes(image_bytes(RED if i % 3 == 0 else BLUE))
        paths.append(str(path))
    result = CliRunner().invoke(app, ["classify", "--format", "jsonl", "--model", str(tiny_model_path), *paths])
    assert result.exit_code == 0, result.output
    rows = _jsonl(result.stdout)
    assert [r["file"] for r in rows] == paths
    assert [r["classification"] for r in rows] == ["MALIGNANT" if i % 3 == 0 else "BENIGN" for i in range(70)]


def test_table_format(folder: Path, tiny_model_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", "--model", str(tiny_model_path), str(folder)])
    assert result.exit_code == 0, result.output
    header, red, broken, blue = result.stdout.splitlines()
    assert header.split() == ["file", "classification", "malignant", "probability"]
    assert red.split()[:2] == [str(folder / "a-red.jpg"), "MALIGNANT"]
    assert 0.5 <= float(red.split()[2]) <= 1.0
    assert broken.split()[:3] == [str(folder / "b-broken.jpg"), "ERROR", "cannot"]
    assert blue.split()[:2] == [str(folder / "c-blue.png"), "BENIGN"]


def test_missing_model_exits_2_with_the_reason(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", "--model", str(tmp_path / "none.onnx"), str(folder)])
    assert result.exit_code == 2
    assert "no model at" in result.stderr
    assert result.stdout == ""


def test_no_image_files_exits_1(tmp_path: Path, tiny_model_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", "--model", str(tiny_model_path), str(tmp_path)])
    assert result.exit_code == 1
    assert "no image files" in result.stderr


def test_real_process_writes_jsonl_and_no_progress_bar(folder: Path, tiny_model_path: Path) -> None:
    command = [sys.executable, "-m", "spotcheck", "classify", "--format", "jsonl", "--model", str(tiny_model_path)]
    done = subprocess.run([*command, str(folder)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert [row["classification"] if "error" not in row else "error" for row in _jsonl(done.stdout)] == [
        "MALIGNANT",
        "error",
        "BENIGN",
    ]
    # stderr is not a terminal here, so only the summary line is written to it.
    assert done.stderr.strip() == "1 of 3 files could not be read"


@pytest.fixture
def gated_folder(tmp_path: Path) -> Path:
    (tmp_path / "a-red.jpg").write_bytes(image_bytes(RED))
    (tmp_path / "b-green.jpg").write_bytes(image_bytes(GREEN))
    (tmp_path / "c-blue.png").write_bytes(image_bytes(BLUE, fmt="PNG"))
    return tmp_path


def test_jsonl_reports_a_refused_photo_without_a_classification(gated_folder: Path, gated_model_path: Path) -> None:
    command = ["classify", "--format", "jsonl", "--model", str(gated_model_path), str(gated_folder)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    red, green, blue = _jsonl(result.stdout)
    assert set(red) == set(blue) == KEYS
    assert (red["classification"], blue["classification"]) == ("MALIGNANT", "BENIGN")
    assert set(green) == REFUSED_KEYS
    assert green == {
        "file": str(gated_folder / "b-green.jpg"),
        "classification": None,
        "refused": "not-a-lesion",
        "modelVersion": TINY_MODEL_VERSION,
    }
    assert result.stderr == ""  # a refusal is an answer, not an unreadable file


def test_table_shows_a_refused_photo_as_refused_with_its_reason(gated_folder: Path, gated_model_path: Path) -> None:
    result = CliRunner().invoke(app, ["classify", "--model", str(gated_model_path), str(gated_folder)])
    assert result.exit_code == 0, result.output
    _header, red, green, blue = result.stdout.splitlines()
    assert red.split()[:2] == [str(gated_folder / "a-red.jpg"), "MALIGNANT"]
    assert green.split() == [str(gated_folder / "b-green.jpg"), "REFUSED", "not-a-lesion"]
    assert blue.split()[:2] == [str(gated_folder / "c-blue.png"), "BENIGN"]


def test_refusals_keep_their_place_across_batches(tmp_path: Path, gated_model_path: Path) -> None:
    # 40 files span two batches of 32; every third one is green and refused.
    paths = []
    for i in range(40):
        path = tmp_path / f"{i:03d}.jpg"
        path.write_bytes(image_bytes(GREEN if i % 3 == 0 else RED))
        paths.append(str(path))
    result = CliRunner().invoke(app, ["classify", "--format", "jsonl", "--model", str(gated_model_path), *paths])
    assert result.exit_code == 0, result.output
    rows = _jsonl(result.stdout)
    assert [r["file"] for r in rows] == paths
    assert [r.get("refused") or r["classification"] for r in rows] == [
        "not-a-lesion" if i % 3 == 0 else "MALIGNANT" for i in range(40)
    ]


def test_classify_starts_without_the_server_stack(folder: Path, tiny_model_path: Path) -> None:
    # The server's modules (database, web framework, settings, metrics) take about a second to
    # import on a 2-core machine: most of what a short `spotcheck classify` run would spend.
    server_modules = ("sqlalchemy", "alembic", "fastapi", "spotcheck.config", "spotcheck.db", "spotcheck.observability")
    code = (
        "import sys\n"
        "from spotcheck.cli import app\n"
        f"try: app(['classify', '--format', 'jsonl', '--model', {str(tiny_model_path)!r}, {str(folder)!r}])\n"
        "except SystemExit: pass\n"
        f"print('imported:', *[m for m in {server_modules!r} if m in sys.modules], file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert len(_jsonl(done.stdout)) == 3
    assert done.stderr.strip().splitlines()[-1] == "imported:"


def test_nothing_readable_exits_1(tmp_path: Path, tiny_model_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["classify", "--format", "jsonl", "--model", str(tiny_model_path), str(tmp_path / "mistyped.jpg")]
    )
    assert result.exit_code == 1
    (row,) = _jsonl(result.stdout)
    assert str(row["error"]).startswith("cannot read image") and "No such file" in str(row["error"])


def test_a_folder_walk_follows_links_and_lists_what_it_cannot_read(tmp_path: Path, tiny_model_path: Path) -> None:
    photos, album = tmp_path / "photos", tmp_path / "album"
    photos.mkdir()
    album.mkdir()
    (album / "in-album.jpg").write_bytes(image_bytes(RED))
    (photos / "album").symlink_to(album)  # a linked folder is walked
    (photos / "loop").symlink_to(photos)  # and a link back up the tree does not loop
    (photos / "gone.jpg").symlink_to(tmp_path / "deleted.jpg")  # a broken link gets a row
    (photos / "here.jpg").write_bytes(image_bytes(BLUE))
    result = CliRunner().invoke(app, ["classify", "--format", "jsonl", "--model", str(tiny_model_path), str(photos)])
    assert result.exit_code == 0, result.output
    rows = {Path(str(row["file"])).name: row for row in _jsonl(result.stdout)}
    assert set(rows) == {"in-album.jpg", "gone.jpg", "here.jpg"}
    assert rows["in-album.jpg"]["classification"] == "MALIGNANT" and "error" in rows["gone.jpg"]
    assert "1 of 3 files could not be read" in result.stderr


def test_a_16_bit_photo_is_scaled_as_the_server_does_not_clipped_to_white(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    grey = np.full((300, 400), 90, dtype=np.uint8)
    Image.fromarray(grey, mode="L").save(tmp_path / "grey-8.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "grey-16.png")  # the same grey in 16 bits
    with Image.open(tmp_path / "grey-16.png") as wide:
        assert wide.mode.startswith("I;16")
    classifier = OnnxClassifier(tiny_model_path)
    narrow, scaled = (_decode(tmp_path / name, classifier) for name in ("grey-8.png", "grey-16.png"))
    assert isinstance(narrow, np.ndarray) and isinstance(scaled, np.ndarray)
    assert np.array_equal(scaled, narrow) and int(scaled.max()) == 90  # not clipped to 255


def _half_red(size: tuple[int, int], *, orientation: int | None = None) -> bytes:
    """Red on the left half, blue on the right; with an EXIF orientation, as a camera would store it."""
    import io

    image = Image.new("RGB", size, BLUE)
    image.paste(Image.new("RGB", (size[0] // 2, size[1]), RED), (0, 0))
    out = io.BytesIO()
    if orientation is None:
        image.save(out, format="JPEG")
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_heatmaps_are_written_for_answered_photos_at_the_size_of_the_photo(
    tmp_path: Path, heatmap_model_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "wide.jpg").write_bytes(_half_red((160, 90)))
    (photos / "turned.jpg").write_bytes(_half_red((120, 80), orientation=6))  # stored landscape, shown portrait
    (photos / "green.jpg").write_bytes(image_bytes(GREEN))  # refused by the photo gate
    (photos / "broken.jpg").write_bytes(image_bytes(BLUE)[:40])
    out = tmp_path / "maps" / "new"
    command = ["classify", "--format", "jsonl", "--model", str(heatmap_model_path), "--heatmaps", str(out), str(photos)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["turned.png", "wide.png"]
    with Image.open(out / "wide.png") as wide:
        assert (wide.format, wide.mode, wide.size) == ("PNG", "L", (160, 90))
        grey = np.asarray(wide)
    assert grey[:, :70].mean() > 100 > grey[:, 90:].max()  # bright over the red half, dark over the blue
    with Image.open(out / "turned.png") as turned:
        assert turned.size == (80, 120)


def test_heatmaps_need_a_model_with_the_output(folder: Path, tmp_path: Path, tiny_model_path: Path) -> None:
    command = ["classify", "--model", str(tiny_model_path), "--heatmaps", str(tmp_path / "maps"), str(folder)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert "has no heatmap output" in result.stderr
    assert not (tmp_path / "maps").exists()


def test_heatmaps_refuse_two_photos_that_would_write_one_file(tmp_path: Path, heatmap_model_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "spot.jpg").write_bytes(image_bytes(RED))
    maps = tmp_path / "maps"
    command = [
        "classify",
        "--model",
        str(heatmap_model_path),
        "--heatmaps",
        str(maps),
        str(tmp_path / "a"),
        str(tmp_path / "b"),
    ]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert "would both write spot.png" in result.stderr
