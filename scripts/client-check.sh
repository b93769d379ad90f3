#!/usr/bin/env bash
# Points a popular real Marketo client, the PyPI package marketorestpython (pinned), at a
# freshly started mock and runs tests/clients/marketorestpython_check.py through it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${CLIENT_VENV:-$ROOT/target/client-venv}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "== python client marketorestpython"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "marketorestpython==0.5.25"

cargo build --release --quiet
LOG="$(mktemp)"
"$TARGET_DIR/release/marketo-bulk-mock" --port 0 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
    grep -q "listening on" "$LOG" && break
    sleep 0.05
done
BASE="$(grep -o 'http://[0-9.:]*' "$LOG" | head -n 1)"
echo "   mock at $BASE"
"$VENV/bin/python" tests/clients/marketorestpython_check.py "$BASE" "$ROOT/fixtures/samples"
