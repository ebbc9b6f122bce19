#!/usr/bin/env bash
# The scaled stack on this machine, on 127.0.0.1 only, in the foreground: SeaweedFS (S3 + bucket
# events), PostgreSQL, `spotcheck serve` without in-process workers, two `spotcheck worker`
# processes and the `spotcheck events` consumer. Prints `READY {json}` once all are up; Ctrl-C or
# SIGTERM stops everything. Options: --port PORT (the API's, default 8000).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    else
        echo "PostgreSQL is missing: sudo apt-get install postgresql" >&2
        exit 1
    fi
fi

bash scripts/ensure-venv.sh scaled
exec .venv/bin/python -m spotcheck.scaled "$@"
