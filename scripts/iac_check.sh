#!/usr/bin/env bash
# Offline static checks of the Bicep in infra/ (run by `make test` and CI).
#
# checkov pins many libraries at versions that clash with the app's, so it lives in its own
# virtualenv (.venv-iac), created on first use. A stamp file keyed on the checkov and
# pycep-parser versions makes later runs skip pip entirely. Quiet on success; on failure prints
# the findings.
#
# infra/graph-permissions.bicep is excluded from checkov: it uses the Microsoft Graph Bicep
# extension (`extension microsoftGraphV1`), which checkov's pinned parser (pycep-parser 0.5.1)
# cannot read; checkov would only report a parse error for it, and it holds no Azure resource
# checkov has rules for. So every file, that one included, is also parsed with pycep-parser
# 0.7.1, which knows `extension` and lambdas. It is installed beside checkov (--no-deps, own
# folder) because checkov pins the older version; both share lark/regex.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
PYCEP_VERSION="0.7.1"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${IAC_VENV:-$REPO_ROOT/.venv-iac}"
STAMP="$VENV/.checkov-$CHECKOV_VERSION-pycep-$PYCEP_VERSION"
PYCEP_DIR="$VENV/pycep-$PYCEP_VERSION"
PYTHON="${IAC_PYTHON:-$(command -v python3.11 || command -v python3)}"

cd "$REPO_ROOT"

if [[ ! -f "$STAMP" ]]; then
    log="$(mktemp)"
    trap 'rm -f "$log"' EXIT
    # One && chain: errexit does not apply on the left of ||, and a half-built venv must not
    # get the stamp.
    {
        rm -rf "$VENV" &&
            "$PYTHON" -m venv "$VENV" &&
            "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" &&
            "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps \
                --target "$PYCEP_DIR" "pycep-parser==$PYCEP_VERSION"
    } >"$log" 2>&1 || {
        echo "iac_check: could not install checkov $CHECKOV_VERSION / pycep-parser $PYCEP_VERSION into $VENV:" >&2
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

# Syntax of every template, the Graph one included (Bicep itself cannot be compiled offline).
if ! PYTHONPATH="$PYCEP_DIR" "$VENV/bin/python" - infra >"$out" 2>&1 <<'PY'
import sys
from pathlib import Path

from pycep import BicepParser

failed = False
for path in sorted(Path(sys.argv[1]).rglob("*.bicep")):
    try:
        BicepParser().parse(text=path.read_text(encoding="utf-8"))
    except Exception as exc:  # the parser raises lark errors of several kinds
        failed = True
        print(f"{path}: {exc}")
sys.exit(1 if failed else 0)
PY
then
    echo "iac_check: Bicep syntax errors:" >&2
    cat "$out" >&2
    exit 1
fi
