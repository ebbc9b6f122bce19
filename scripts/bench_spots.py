"""Cost of the spot features that run on request: measuring one photo, and a spot's PDF report.

    PYTHONPATH=src python scripts/bench_spots.py --rounds 20

Measures a synthetic 1600x1200 JPEG (a darker disc on skin, about the size the sanitiser keeps
for a phone photo) with ``measure_image`` (done once per upload, then cached in image_measures),
and renders a report of ``--photos`` such photos (decoding and thumbnailing each). Prints the
medians and the CPU.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from PIL import Image, ImageDraw

from spotcheck.classifier.labels import Classification
from spotcheck.db.tables import ImageStatus
from spotcheck.gallery.rows import ImageSummary
from spotcheck.hardware import cpu_description
from spotcheck.spots.measures import measure_image
from spotcheck.spots.report import render_report
from spotcheck.spots.service import Spot, SpotView, TimelineEntry
from spotcheck.spots.summary import Summary, SummaryLevel


def _photo() -> bytes:
    image = Image.new("RGB", (1600, 1200), (224, 182, 150))
    ImageDraw.Draw(image).ellipse((650, 450, 950, 750), fill=(120, 75, 50))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _median_ms(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--photos", type=int, default=10)
    args = parser.parse_args()
    if args.rounds < 1 or args.photos < 1:
        parser.error("--rounds and --photos must be at least 1")
    data = _photo()
    now = datetime.now(UTC)
    entries = [
        TimelineEntry(
            ImageSummary(
                file_name=f"p{i}.jpg",
                upload_id=f"u{i}",
                status=ImageStatus.DONE,
                size=len(data),
                uploaded_at=now,
                classification=Classification.BENIGN,
                malignant_probability=0.1,
                model_version="bench",
                classified_at=now,
            ),
            None,
            measure_image(data),
        )
        for i in range(args.photos)
    ]
    view = SpotView(Spot("s", "u", "Bench spot", None, now), entries, [], Summary(SummaryLevel.REASSURING, "x", None))
    measure = _median_ms(lambda: measure_image(data), args.rounds)
    report = _median_ms(lambda: render_report(view, photo=lambda _n: data, generated_at=now), max(3, args.rounds // 4))
    print(f"CPU: {cpu_description()}")
    print(f"measure_image, 1600x1200 JPEG ({len(data) / 1000:.0f} kB): median {measure:.1f} ms")
    print(f"render_report, {args.photos} photos: median {report:.0f} ms")


if __name__ == "__main__":
    main()
