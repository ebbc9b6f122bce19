#!/usr/bin/env bash
# Install everything the tests need (Python extras, Chromium for the browser tests), lint,
# type-check and run the whole test suite. The tests start their own servers on 127.0.0.1
# (SpotCheck itself, SeaweedFS for S3) and stop them afterwards.
# Extra arguments go to pytest (for example -m "not slow" or -k detect).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "Chromium is missing: run 'sudo apt-get install chromium' (browser tests will be skipped)" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch==2.13.0 (CPU) is pinned by the [train] extra.
.venv/bin/python -m pip install --quiet -e '.[dev,train]'

.venv/bin/ruff check src tests scripts
.venv/bin/ruff format --check src tests scripts
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
