#!/usr/bin/env python
"""Sum up a py-spy raw profile of ``spotcheck serve`` by where the time goes.

    py-spy record --pid PID --format raw --threads -o server.raw   # or bench_service.py --py-spy
    python scripts/profile_summary.py server.raw

Each sample (one thread's stack, on CPU) is put in the first category below any of whose frames it
holds, so a stack under the model call counts as "model" whatever library it ends in. Prints each
category's share of the samples.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

# (category, substrings of a frame that put a sample in it), most specific first.
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("model: ONNX Runtime run", ("run (onnxruntime/",)),
    ("model input: normalise", ("normalise (spotcheck/classifier/preprocess.py",)),
    ("model input: resize", ("resize_rgb (spotcheck/classifier/preprocess.py",)),
    ("photo gate: quality", ("measure_quality (spotcheck/photocheck",)),
    ("upload: completeness check (JPEG)", ("check_jpeg_complete (",)),
    ("upload: decode for the worker (JPEG, colour, model scale)", ("decode_plain_jpeg_for_model (",)),
    ("handoff of prepared photos", ("spotcheck/classifier/handoff.py",)),
    ("upload: decode + downscale", ("decoded_to_fit (", "_reduced (")),
    ("upload: JPEG re-encode", ("_pixels_only (",)),
    ("upload: metadata strip (JPEG)", ("spotcheck/images/jpeg_",)),
    ("worker: decode stored JPEG", ("_prepare (spotcheck/labelling/worker.py", "decode_for_model")),
    ("upload: sniff/open/scan check", ("open_checked (", "sniff (", "spotcheck/images/")),
    ("database (SQLAlchemy/SQLite)", ("sqlalchemy/", "sqlite3")),
    ("object store (local disk)", ("spotcheck/storage/",)),
    ("auth (tokens, sessions)", ("spotcheck/auth/", "jwt/")),
    ("logging and metrics", ("logging/", "prometheus_client/", "spotcheck/observability/")),
    ("responses (pydantic, JSON)", ("pydantic", "json/", "serialize_response", "jsonable_encoder")),
    ("request body reading", ("read_body (", "stream (starlette")),
    ("HTTP server and framework", ("uvicorn/", "starlette/", "fastapi/", "h11/", "httptools", "anyio/", "asyncio/")),
]


def categorise(stack: str) -> str:
    for name, needles in CATEGORIES:
        if any(needle in stack for needle in needles):
            return name
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path, help="py-spy --format raw output")
    args = parser.parse_args(argv)
    if not args.profile.is_file():
        parser.error(f"no profile at {args.profile}")
    counts: Counter[str] = Counter()
    for line in args.profile.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if stack and samples.isdigit():
            counts[categorise(stack)] += int(samples)
    total = sum(counts.values())
    if not total:
        print(f"no samples in {args.profile}", file=sys.stderr)
        return 1
    print(f"{total} samples (one thread on CPU each) in {args.profile}")
    for name, count in counts.most_common():
        print(f"  {count / total:6.1%}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
