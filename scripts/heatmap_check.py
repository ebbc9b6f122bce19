"""Does the heatmap show what the model used? The occlusion and variety checks on test-split melanomas.

    python scripts/heatmap_check.py --examples docs/model/heatmaps

Takes the dermatoscopic melanomas of the shipped model's test split (HAM10000 split by lesion as
configs/release-phone.toml says, checked against the published manifest SHA-256; the model never
trained or tuned on them), prepared as ``spotcheck classify`` prepares a photo, and prints:

- answered: photos the photo gate let through, and how many maps ``spotcheck classify --heatmaps``
  wrote at the photo's own size;
- over the flagged ones, the mean drop of the malignant estimate when the hottest 15 % of pixels
  (by the heatmap) are hidden, when a part of the same size and shape elsewhere is hidden (the mean
  of 8 random offsets), their difference with a 95 % bootstrap interval, and how often the hottest
  part mattered more (``spotcheck.training.heatmap_check`` says how pixels are hidden);
- the mean pairwise correlation of the answered photos' maps (low: the maps differ photo to photo).

``--examples DIR`` also writes small overlays (photo | map over it): the most confidently flagged
melanoma, the missed melanoma with the lowest estimate, and the benign test photo (a nevus or
keratosis) with the highest estimate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from spotcheck.classifier.base import Prediction, Refusal
from spotcheck.classifier.heatmap import heatmap_image, heatmap_overlay
from spotcheck.classifier.onnx import OnnxClassifier
from spotcheck.classifier.packaged import packaged_model_path
from spotcheck.training.dataset import Domain, LesionImage
from spotcheck.training.heatmap_check import mean_pairwise_correlation, occlusion
from spotcheck.training.release_split import release_split

_DATA = Path("../shared/datasets")


def _upright(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def _bootstrap(values: np.ndarray, samples: int = 2000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = [values[rng.integers(len(values), size=len(values))].mean() for _ in range(samples)]
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _maps_from_the_command_line(paths: list[Path], model: Path | None) -> tuple[int, int]:
    """Photos ``spotcheck classify --heatmaps`` answered, and maps it wrote at their photo's size."""
    with tempfile.TemporaryDirectory() as maps:
        command = [sys.executable, "-m", "spotcheck", "classify", "--format", "jsonl", "--heatmaps", maps]
        command += ["--model", str(model)] if model is not None else []
        done = subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, check=True)
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        answered = [Path(row["file"]) for row in rows if row.get("classification")]
        at_size = 0
        for path in answered:
            written = Path(maps) / f"{path.stem}.png"
            if written.is_file():
                with Image.open(written) as heatmap:
                    at_size += heatmap.size == _upright(path).size
        return len(answered), at_size


def _overlay(record: LesionImage, classifier: OnnxClassifier, out: Path) -> str:
    photo = _upright(record.path)
    (assessment,) = classifier.classify_with_heatmaps([photo])
    assert isinstance(assessment, Prediction) and assessment.heatmap is not None
    over = heatmap_overlay(photo, heatmap_image(assessment.heatmap, photo.size))
    pair = Image.new("RGB", (2 * photo.width + 4, photo.height), (255, 255, 255))
    pair.paste(photo, (0, 0))
    pair.paste(over, (photo.width + 4, 0))
    pair.save(out, format="PNG", optimize=True)
    label = assessment.classification.value
    return f"{out}: {record.image_id} ({record.dx}), estimate {assessment.malignant_probability:.3f}, {label}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dermatoscopic", type=Path, default=_DATA / "ham10000-200x150")
    parser.add_argument("--phone", type=Path, default=_DATA / "pad-ufes-20-partial", help="needed to rebuild the split")
    parser.add_argument("--split", choices=("test", "val"), default="test")
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--fraction", type=float, default=0.15, help="share of pixels hidden")
    parser.add_argument("--examples", type=Path, default=None, help="write example overlays (PNG) into this folder")
    args = parser.parse_args(argv)
    for folder in (args.dermatoscopic, args.phone):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    if args.examples is not None and not args.examples.is_dir():
        parser.error(f"--examples {args.examples} is not a folder")

    classifier = OnnxClassifier(args.model or packaged_model_path())
    if not classifier.gives_heatmaps:
        parser.error(f"the model {classifier.version} has no heatmap output")
    records, split_of = release_split(args.dermatoscopic, args.phone)
    chosen = [r for r in records if split_of[r.image_id] == args.split and r.domain is Domain.DERMATOSCOPIC]
    melanomas = [r for r in chosen if r.dx == "mel"]
    photos = [_upright(r.path) for r in melanomas]
    prepared = [classifier.prepare(photo) for photo in photos]
    kept = [i for i, p in enumerate(prepared) if not isinstance(p, Refusal)]
    pixels = np.stack([p for p in prepared if not isinstance(p, Refusal)])
    result = occlusion(classifier, pixels, fraction=args.fraction)
    answered = [kept[i] for i in np.flatnonzero(result.answered)]
    cli_answered, at_size = _maps_from_the_command_line([r.path for r in melanomas], args.model)
    flagged = result.flagged
    difference = result.hottest_drop[flagged] - result.random_drop[flagged]
    low, high = _bootstrap(difference)
    print(f"model {classifier.version}; {args.split}-split dermatoscopic melanomas: {len(melanomas)}")
    print(
        f"answered {len(answered)}, flagged {int(flagged.sum())}; spotcheck classify --heatmaps answered "
        f"{cli_answered} and wrote {at_size} maps at the photo's size"
    )
    print(
        f"flagged, hiding {args.fraction:.0%}: estimate drops by {result.hottest_drop[flagged].mean():.3f} (hottest) "
        f"vs {result.random_drop[flagged].mean():.3f} (random, same shape); difference {difference.mean():.3f} "
        f"[95 % CI {low:.3f}, {high:.3f}]; hottest mattered more on {int((difference > 0).sum())} "
        f"of {int(flagged.sum())}"
    )
    varying = sum(float(m.std()) > 0 for m in result.maps)
    print(
        f"mean pairwise correlation of the {varying} maps that are not blank (of {len(result.maps)}): "
        f"{mean_pairwise_correlation(result.maps):.3f}"
    )

    if args.examples is not None:
        estimates = dict(zip([melanomas[i].image_id for i in answered], result.estimate, strict=True))
        best = max(estimates, key=lambda k: estimates[k])
        # Dermatoscopic melanomas: decided at the dermatoscopic route's threshold where the model has one.
        missed = [k for k in estimates if estimates[k] < classifier.metadata.threshold_for(routed=True)]
        benign = [r for r in chosen if r.dx in ("nv", "bkl", "df", "vasc")]
        judged = classifier.classify([_upright(r.path) for r in benign])
        scores = [a.malignant_probability if isinstance(a, Prediction) else -1.0 for a in judged]
        by_id = {r.image_id: r for r in chosen}
        picks = [("flagged-melanoma", by_id[best]), ("false-alarm", benign[int(np.argmax(scores))])]
        if missed:
            picks.insert(1, ("missed-melanoma", by_id[min(missed, key=lambda k: estimates[k])]))
        for name, record in picks:
            print(_overlay(record, classifier, args.examples / f"{name}.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
