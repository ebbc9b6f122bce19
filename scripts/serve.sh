#!/usr/bin/env bash
# Install SpotCheck into .venv (runtime dependencies only, no PyTorch) and run it on the embedded default.
# Extra arguments go to `spotcheck serve` (for example --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/spotcheck serve "$@"
