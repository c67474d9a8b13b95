#!/usr/bin/env bash
# Offline static checks of the Bicep in infra/ (run by `make test` and CI).
#
# checkov pins many libraries at versions that clash with the app's, so it lives in its own
# virtualenv (.venv-iac), created on first use. A stamp file keyed on the checkov version makes
# later runs skip pip entirely. Quiet on success; on failure prints checkov's findings.
#
# infra/graph-permissions.bicep is excluded: it uses the Microsoft Graph Bicep extension
# (`extension microsoftGraphV1`), which checkov's Bicep parser cannot read. checkov would only
# report a parse error for it (and exit 0), and it holds no Azure resource checkov has rules
# for; tests/infra checks its permission list instead.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${IAC_VENV:-$REPO_ROOT/.venv-iac}"
STAMP="$VENV/.checkov-$CHECKOV_VERSION"
PYTHON="${IAC_PYTHON:-$(command -v python3.11 || command -v python3)}"

cd "$REPO_ROOT"

if [[ ! -f "$STAMP" ]]; then
    log="$(mktemp)"
    trap 'rm -f "$log"' EXIT
    {
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
    } >"$log" 2>&1 || {
        echo "iac_check: could not install checkov $CHECKOV_VERSION into $VENV:" >&2
        cat "$log" >&2
        exit 1
    }
    touch "$STAMP"
fi

out="$(mktemp)"
trap 'rm -f "$out" "${log:-}"' EXIT
# --skip-download keeps checkov offline (otherwise it calls its vendor's API for policies).
if ! "$VENV/bin/checkov" -d infra --framework bicep --skip-download --quiet --compact \
        --skip-path 'graph-permissions\.bicep' --output cli >"$out" 2>&1; then
    echo "iac_check: checkov found problems in infra/:" >&2
    cat "$out" >&2
    exit 1
fi
# checkov exits 0 when it cannot parse a file; a parse error must fail the check all the same.
if grep -qE 'Parsing errors: [1-9]' "$out"; then
    echo "iac_check: checkov could not parse part of infra/:" >&2
    cat "$out" >&2
    exit 1
fi
