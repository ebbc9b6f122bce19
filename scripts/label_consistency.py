"""How often do two photos of one lesion get different labels, and what does a spot's verdict do about it?

    python scripts/label_consistency.py

Classifies every photo of the shipped model's test and validation splits (rebuilt from
configs/release-phone.toml and checked against the published manifest SHA-256) through
``spotcheck classify --format jsonl`` itself, then, for each data set and split, over the lesions
with two or more answered photos (HAM10000: ``lesion_id``; PAD-UFES-20: patient and lesion number):

- lesions whose photos got different labels (MALIGNANT on one, BENIGN on another), with a Wilson
  95 % interval, and the share of photo pairs of one lesion that disagree;
- what a spot's verdict does (SpotCheck sums a spot up by the most worrying of its recent photos,
  so a lesion counts as flagged when any of its photos is): for malignant lesions, photos flagged
  against lesions flagged by any photo; for benign lesions, the false alarms the same way.

The photos of a data set's lesion carry no dates, so all of them count as the spot's recent photos.
PAD-UFES-20 actinic keratoses (pre-malignant, README) are left out of the malignant/benign rows and
counted in the disagreement rows. Refused photos are left out; a lesion with fewer than two answered
photos is not counted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

from spotcheck.classifier.labels import MALIGNANT_DIAGNOSES
from spotcheck.training.dataset import Domain, LesionImage
from spotcheck.training.metrics import wilson_interval
from spotcheck.training.release_split import release_split

_DATA = Path("../shared/datasets")


def _classify(paths: list[Path], model: Path | None) -> dict[str, str | None]:
    """File -> MALIGNANT or BENIGN (None: refused or unreadable), from ``spotcheck classify``."""
    command = [sys.executable, "-m", "spotcheck", "classify", "--format", "jsonl"]
    if model is not None:
        command += ["--model", str(model)]
    done = subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"spotcheck classify failed ({done.returncode}): {done.stderr.strip()}")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return {row["file"]: row.get("classification") for row in rows}


def _rate(count: int, total: int) -> str:
    low, high = wilson_interval(count, total)
    return f"{count} of {total} ({count / total:.1%}, 95 % CI {low:.1%}-{high:.1%})" if total else "none"


def _report(name: str, lesions: dict[str, list[LesionImage]], labels: dict[str, str | None]) -> None:
    answered = {
        lesion: [labels[str(r.path)] for r in photos if labels.get(str(r.path))] for lesion, photos in lesions.items()
    }
    several = {lesion: found for lesion, found in answered.items() if len(found) >= 2}
    mixed = [lesion for lesion, found in several.items() if len(set(found)) > 1]
    pairs = [(a, b) for found in several.values() for a, b in combinations(found, 2)]
    print(f"{name}: lesions with 2+ answered photos: {len(several)} ({sum(map(len, several.values()))} photos)")
    print(f"  lesions labelled differently on different photos: {_rate(len(mixed), len(several))}")
    print(f"  photo pairs of one lesion that disagree: {_rate(sum(a != b for a, b in pairs), len(pairs))}")
    for kind, wanted in (("malignant", True), ("benign", False)):
        chosen = {
            lesion: found
            for lesion, found in several.items()
            if (lesions[lesion][0].dx in MALIGNANT_DIAGNOSES) == wanted and lesions[lesion][0].in_binary_figures
        }
        photos = [label for found in chosen.values() for label in found]
        flagged_photos = sum(label == "MALIGNANT" for label in photos)
        any_flagged = sum("MALIGNANT" in found for found in chosen.values())
        every_flagged = sum(set(found) == {"MALIGNANT"} for found in chosen.values())
        what = "flagged" if wanted else "false alarms"
        print(
            f"  {kind} lesions: {len(chosen)}; {what} per photo {_rate(flagged_photos, len(photos))}; "
            f"per lesion, any photo (the spot's verdict) {_rate(any_flagged, len(chosen))}; "
            f"every photo {_rate(every_flagged, len(chosen))}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dermatoscopic", type=Path, default=_DATA / "ham10000-200x150")
    parser.add_argument("--phone", type=Path, default=_DATA / "pad-ufes-20-partial")
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    args = parser.parse_args(argv)
    for folder in (args.dermatoscopic, args.phone):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")

    records, split_of = release_split(args.dermatoscopic, args.phone)
    used = [r for r in records if split_of[r.image_id] in ("test", "val")]
    labels = _classify([r.path for r in used], args.model)
    for split in ("test", "val"):
        for domain, name in ((Domain.DERMATOSCOPIC, "HAM10000"), (Domain.SMARTPHONE, "PAD-UFES-20")):
            lesions: dict[str, list[LesionImage]] = defaultdict(list)
            for record in used:
                if split_of[record.image_id] == split and record.domain is domain:
                    lesions[record.lesion_id].append(record)
            _report(f"{name} {split} split", lesions, labels)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
