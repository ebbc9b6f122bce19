#!/usr/bin/env bash
# Install everything the tests need (Python extras, Chromium, PostgreSQL), lint,
# type-check and run the whole test suite. The tests start their own servers on 127.0.0.1
# (SpotCheck itself, SeaweedFS for S3, PostgreSQL, Chromium, an OpenID provider) and stop them afterwards.
# Extra arguments go to pytest (for example -m "not slow" or -k detect).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Chromium (browser tests), PostgreSQL (scale-out tests), Node.js (the OpenID provider).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "Missing system packages: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

# torch==2.13.0 (CPU) is pinned by the [train] extra.
bash scripts/ensure-venv.sh dev,train,serving
# axe-core and TypeScript (pinned in package.json): the browser tests inject axe-core to check
# accessibility; tsc type-checks the page's JavaScript from its JSDoc (jsconfig.json).
npm ci --no-audit --no-fund --silent
npx --no-install tsc -p jsconfig.json

# The OpenID provider the sign-in tests run (npm `oidc-provider`, pinned in its package-lock.json).
npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error

.venv/bin/ruff check src tests scripts
.venv/bin/ruff format --check src tests scripts
.venv/bin/mypy
.venv/bin/mypy scripts
.venv/bin/cfn-lint deploy/aws/template.yaml
# KServe's InferenceService has no bundled schema (a warning here); tests/deploy validates its containers strictly.
.venv/bin/kubernetes-validate --strict --quiet deploy/kserve/*.yaml
exec .venv/bin/python -m pytest "$@"
