"""The shipped model's data split, rebuilt from its recipe and checked against the published manifest."""

from __future__ import annotations

import tempfile
from pathlib import Path

from spotcheck.training.config import load_config
from spotcheck.training.dataset import DatasetError, LesionImage
from spotcheck.training.pipeline import load_split_records
from spotcheck.training.splits import manifest_sha256, write_manifest

__all__ = ["RELEASE_MANIFEST_SHA256", "RELEASE_RECIPE", "release_split"]

RELEASE_RECIPE = Path(__file__).parents[3] / "configs" / "release-phone.toml"
# The manifest SHA-256 that MODEL_CARD.md publishes for the shipped model's split.
RELEASE_MANIFEST_SHA256 = "2a1cb59ceeeffdb6fc0e2dad6fefed6f0f53102395d7b99985fbac537a29d408"


def release_split(dermatoscopic: Path, phone: Path) -> tuple[list[LesionImage], dict[str, str]]:
    """Every image of the two data folders and its split (train, val or test) as the shipped model had it.

    Raises ``DatasetError`` when the folders give another manifest than the published one (other data,
    or another recipe), since the test split would then not be the one the model never saw.
    """
    config = load_config(RELEASE_RECIPE, [f"data_dir={dermatoscopic}", f"phone_data_dir={phone}"])
    records, split_of = load_split_records(config)
    with tempfile.TemporaryDirectory() as scratch:
        manifest = Path(scratch) / "split_manifest.csv"
        write_manifest(manifest, records, split_of)
        digest = manifest_sha256(manifest)
    if digest != RELEASE_MANIFEST_SHA256:
        raise DatasetError(
            f"{dermatoscopic} and {phone} split as {RELEASE_RECIPE.name} says give the manifest SHA-256 {digest}, "
            f"not the shipped model's {RELEASE_MANIFEST_SHA256}: not the data it was trained and tested on"
        )
    return records, split_of
