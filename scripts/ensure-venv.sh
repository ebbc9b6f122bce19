#!/usr/bin/env bash
# Make sure .venv holds SpotCheck with the given extras (e.g. `dev,train`, or nothing for the runtime
# alone), installing only when .venv is missing, pyproject.toml changed since the last install, or an
# extra was never installed. Sourced or run from the repository root by serve.sh, serve-scaled.sh and test.sh.
set -euo pipefail
extras="${1:-}"
stamp=.venv/.spotcheck-installed   # lines "<sha256 of pyproject.toml> <extra>"; "base" is the runtime alone
digest=$(sha256sum pyproject.toml | cut -d' ' -f1)

wanted=(base)
[ -n "$extras" ] && IFS=, read -r -a more <<<"$extras" && wanted+=("${more[@]}")

missing=()
for extra in "${wanted[@]}"; do
    [ -x .venv/bin/python ] && [ -f "$stamp" ] && grep -qx "$digest $extra" "$stamp" || missing+=("$extra")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "spotcheck: .venv is up to date with pyproject.toml (${wanted[*]}); nothing to install." >&2
    exit 0
fi

echo "spotcheck: installing into .venv (${missing[*]}): the first time, or pyproject.toml changed." >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
# Keep what is still true of this pyproject.toml, and add what was just installed.
{ [ -f "$stamp" ] && grep "^$digest " "$stamp" || true; printf "$digest %s\n" "${wanted[@]}"; } | sort -u >"$stamp.new"
mv "$stamp.new" "$stamp"
