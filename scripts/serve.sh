#!/usr/bin/env bash
# Install SpotCheck into .venv (runtime dependencies only, no PyTorch; skipped when nothing changed)
# and run it on the embedded default.
# Extra arguments go to `spotcheck serve` (for example --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-venv.sh
exec .venv/bin/spotcheck serve "$@"
