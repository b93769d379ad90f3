#!/usr/bin/env bash
# Holds the mock to Adobe's OpenAPI document: schemathesis (pinned, from PyPI) generates valid
# and invalid requests for every operation of the document that the mock serves and checks each
# answer's status, content type and body against the document, patched only where the document
# is wrong about Marketo (tests/openapi/patches.py says where and why). Fixed seed, bounded
# examples; prints `N passed, M failed` (operations) and exits non-zero on any failure.
#
# OPENAPI_EXAMPLES (default 100) and OPENAPI_SEED (default 17) tune the run; MOCK_BINARY runs
# an already built server.
#
# Needs python3 with its venv module, curl (and cargo, without MOCK_BINARY): when one is
# missing it prints the command that installs it and exits 3. schemathesis is installed from
# PyPI into a venv under target/ (OPENAPI_VENV), never into the system's Python; everything
# the run writes is under target/openapi-check.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/lib/require.sh"
source "$ROOT/scripts/lib/mock.sh"
require_python_venv
require_command curl "$(require_apt curl)"
[[ -n "${MOCK_BINARY:-}" ]] || require_cargo
require_done
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$TARGET_DIR/openapi-check"
VENV="${OPENAPI_VENV:-$TARGET_DIR/openapi-venv}"
EXAMPLES="${OPENAPI_EXAMPLES:-100}"
SEED="${OPENAPI_SEED:-17}"

echo "== OpenAPI conformance (schemathesis)"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"

rm -rf "$WORK"
mkdir -p "$WORK"
: >"$WORK/server.log"
start_mock "$WORK/server.log"
trap 'kill "$MOCK_PID" 2>/dev/null || true' EXIT
BASE="$MOCK_BASE"
echo "   mock at $BASE"

TOKEN="$(curl -fsS "$BASE/identity/oauth/token?grant_type=client_credentials&client_id=mock-client-id&client_secret=mock-client-secret" |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
export PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$ROOT/tests/openapi"
"$VENV/bin/python" tests/openapi/prepare.py "$BASE" "$TOKEN" "$WORK"

# Not checked: negative_data_rejection and positive_data_acceptance judge by HTTP status, and
# Marketo answers every API error with HTTP 200 and a code; what the check holds the mock to
# is that every answer, to valid and invalid requests alike, is one the document allows.
# Run inside $WORK: schemathesis keeps a cache of past failures in its working directory, and a
# fresh one each run keeps runs alike.
status=0
(cd "$WORK" && OPENAPI_RECORDS="$WORK/records.json" SCHEMATHESIS_HOOKS=hooks "$VENV/bin/schemathesis" run marketo.json \
    --url "$BASE" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --mode all \
    --phases examples,coverage,fuzzing \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --workers 1 \
    --no-color \
    --report junit \
    --report-junit-path junit.xml \
    >schemathesis.txt 2>&1) || status=$?
"$VENV/bin/python" - "$WORK/junit.xml" "$WORK/schemathesis.txt" "$status" <<'EOF'
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

junit, log, status = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
cases = list(ElementTree.parse(junit).getroot().iter("testcase")) if junit.exists() else []
failed = [case.get("name") for case in cases if case.find("failure") is not None or case.find("error") is not None]
if failed or status or not cases:
    print(log.read_text())
for name in failed:
    print(f"FAIL {name}")
print(f"{len(cases) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed or status or not cases else 0)
EOF
