"""Average the weights of fine-tunes of one network into one run folder (a "model soup").

    python scripts/average_runs.py runs/cpu/expert-ema runs/cpu/expert-ema-lr5 runs/cpu/expert-pair \\
        --out runs/cpu/expert-soup

The runs must share their split and input (``spotcheck.training.averaging``). The folder is a run
like any other: ``--expert`` of ``scripts/add_dermatoscopic_route.py`` takes it, so does ``init_from``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spotcheck.training.averaging import average_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+", help="finished training runs started from the same weights")
    parser.add_argument("--out", type=Path, required=True, help="the run folder to write")
    args = parser.parse_args(argv)
    try:
        out = average_runs(args.runs, args.out)
    except (ValueError, FileNotFoundError) as error:
        print(f"average_runs: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out / 'best.pt'}: the mean of {len(args.runs)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
