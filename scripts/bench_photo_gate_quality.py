"""Calibrate and measure the photo gate's focus and exposure checks on real lesion photos.

Good photos are the lesion folders as they are; degraded sets are made from a seeded sample of
them at their own resolution (Gaussian blur and motion blur sized relative to the long side,
exposure scaled in sRGB), each re-encoded as a JPEG (quality 90) as an upload would be. For each
set the script prints the share refused by ``judge_quality`` with the default limits, and by
reason; the ordinary photos of the non-lesion folder are measured for information only. The
images are read from the shared folders and never copied.

    PYTHONPATH=src python scripts/bench_photo_gate_quality.py --out bench-quality.json
    PYTHONPATH=src python scripts/bench_photo_gate_quality.py --write-limits  # refresh photo-limits.json
"""

from __future__ import annotations

import argparse
import io
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from spotcheck.photocheck.quality import (
    BROWSER_LIMITS,
    DEFAULT_LIMITS,
    PhotoQuality,
    QualityLimits,
    judge_quality,
    limits_document,
    measure_quality,
)
from spotcheck.photocheck.reasons import RefusalReason

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"
LIMITS_JSON = REPO / "src" / "spotcheck" / "web" / "static" / "photo-limits.json"
LESION_FOLDERS = {"ham10000": "ham10000-200x150", "pad-ufes-20": "pad-ufes-20-partial"}

Degrade = Callable[[Image.Image, np.random.Generator], Image.Image]


@dataclass(frozen=True)
class Row:
    folder: str
    condition: str
    photos: int
    refused: float
    page_warns: float
    blurry: float
    too_dark: float
    too_bright: float


def gaussian(share: float) -> Degrade:
    return lambda image, _: image.filter(ImageFilter.GaussianBlur(share * max(image.size)))


def motion(share: float) -> Degrade:
    """A straight streak ``share`` of the long side long, at a random angle."""

    def apply(image: Image.Image, rng: np.random.Generator) -> Image.Image:
        pixels = np.asarray(image, dtype=np.float32)
        length = max(2, round(share * max(image.size)))
        angle = rng.uniform(0, np.pi)
        pad = length
        padded = np.pad(pixels, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
        height, width = pixels.shape[:2]
        total = np.zeros_like(pixels)
        steps = np.linspace(-length / 2, length / 2, length + 1)
        for t in steps:
            dx, dy = round(t * np.cos(angle)), round(t * np.sin(angle))
            total += padded[pad + dy : pad + dy + height, pad + dx : pad + dx + width]
        return Image.fromarray(np.clip(total / len(steps) + 0.5, 0, 255).astype(np.uint8))

    return apply


def exposure(gain: float) -> Degrade:
    """Every sRGB value times ``gain``, clipped: under-exposure below 1, blown highlights above."""
    return lambda image, _: Image.fromarray(
        np.clip(np.asarray(image, dtype=np.float32) * gain + 0.5, 0, 255).astype(np.uint8)
    )


DEGRADATIONS: dict[str, Degrade] = {
    **{f"gaussian blur sigma {s:.2%} of side": gaussian(s) for s in (0.0025, 0.005, 0.01, 0.02)},
    **{f"motion blur {s:.0%} of side": motion(s) for s in (0.01, 0.02, 0.04, 0.08)},
    **{f"dark: brightness x{g:g}": exposure(g) for g in (0.25, 0.15, 0.08, 0.04)},
    **{f"over-exposed: brightness x{g:g}": exposure(g) for g in (1.5, 2, 3, 5)},
}


def as_upload(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def summarise(folder: str, condition: str, qualities: list[PhotoQuality]) -> Row:
    reasons = Counter(judge_quality(q, DEFAULT_LIMITS) for q in qualities)
    n = len(qualities)
    warned = sum(judge_quality(q, BROWSER_LIMITS) is not None for q in qualities)
    return Row(
        folder=folder,
        condition=condition,
        photos=n,
        refused=(n - reasons[None]) / n,
        page_warns=warned / n,
        blurry=reasons[RefusalReason.BLURRY] / n,
        too_dark=reasons[RefusalReason.TOO_DARK] / n,
        too_bright=reasons[RefusalReason.TOO_BRIGHT] / n,
    )


def good_rows(folders: dict[str, Path], limit: int) -> Iterator[tuple[Row, list[PhotoQuality]]]:
    for folder, path in folders.items():
        files = sorted(path.glob("*.jpg"))
        if limit:
            files = files[:limit]
        qualities = [measure_quality(load(f)) for f in files]
        yield summarise(folder, "good (as stored)", qualities), qualities


def degraded_rows(folders: dict[str, Path], per_folder: int, seed: int) -> Iterator[Row]:
    for folder, path in folders.items():
        files = sorted(path.glob("*.jpg"))
        sample = random.Random(seed).sample(files, min(per_folder, len(files)))
        rng = np.random.default_rng(seed)
        measured: dict[str, list[PhotoQuality]] = {name: [] for name in DEGRADATIONS}
        for file in sample:
            image = load(file)
            for name, degrade in DEGRADATIONS.items():
                measured[name].append(measure_quality(as_upload(degrade(image, rng))))
        for name, qualities in measured.items():
            yield summarise(folder, name, qualities)


def quantiles(qualities: list[PhotoQuality]) -> dict[str, float]:
    """Where the good photos' tails lie, next to the limits they are held to."""
    sharp = np.array([q.sharpness for q in qualities])
    bright = np.array([q.bright_level for q in qualities])
    white = np.array([q.white_fraction for q in qualities])
    return {
        "sharpness_p0.5": float(np.percentile(sharp, 0.5)),
        "sharpness_p1": float(np.percentile(sharp, 1)),
        "bright_level_min": float(bright.min()),
        "white_fraction_max": float(white.max()),
    }


def print_table(rows: list[Row]) -> None:
    header = f"| {'folder':<12} | {'condition':<34} | {'n':>5} | refused | blurry | dark  | bright | page warns |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for r in rows:
        print(
            f"| {r.folder:<12} | {r.condition:<34} | {r.photos:>5} | {r.refused:>6.1%} | {r.blurry:>6.1%} "
            f"| {r.too_dark:>5.1%} | {r.too_bright:>6.1%} | {r.page_warns:>10.1%} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=Path, default=DATASETS, help="folder holding the shared data sets")
    parser.add_argument("--good-limit", type=int, default=0, help="good photos per folder, 0 for all")
    parser.add_argument("--degraded", type=int, default=200, help="photos per folder to degrade")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--write-limits", action="store_true", help=f"write {LIMITS_JSON.name} and exit")
    args = parser.parse_args()
    if not args.datasets.is_dir():
        parser.error(f"no data sets folder {args.datasets}")

    if args.write_limits:
        LIMITS_JSON.write_text(json.dumps(limits_document(), indent=2) + "\n")
        print(f"wrote {LIMITS_JSON}")
        return

    lesions = {name: args.datasets / folder / "images" for name, folder in LESION_FOLDERS.items()}
    others = {"non-lesion": args.datasets / "non-lesion-photos" / "images"}
    started = time.perf_counter()
    rows: list[Row] = []
    tails: dict[str, dict[str, float]] = {}
    for row, qualities in good_rows({**lesions, **others}, args.good_limit):
        rows.append(row)
        tails[row.folder] = quantiles(qualities)
    rows.extend(degraded_rows(lesions, args.degraded, args.seed))
    elapsed = time.perf_counter() - started

    print(f"limits: {asdict(DEFAULT_LIMITS)}  page: {asdict(BROWSER_LIMITS)}")
    print_table(rows)
    for folder, tail in tails.items():
        print(f"{folder}: " + ", ".join(f"{k} {v:.3f}" for k, v in tail.items()))
    print(f"{elapsed:.0f} s")
    if args.out:
        limits: dict[str, QualityLimits] = {"server": DEFAULT_LIMITS, "page": BROWSER_LIMITS}
        document = {
            "limits": {k: asdict(v) for k, v in limits.items()},
            "rows": [asdict(r) for r in rows],
            "good_tails": tails,
            "seconds": elapsed,
            "args": {k: str(v) for k, v in vars(args).items()},
        }
        args.out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
