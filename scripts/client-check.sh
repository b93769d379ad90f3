#!/usr/bin/env bash
# Points a popular real Marketo client, the PyPI package marketorestpython (pinned), at a
# freshly started mock and runs tests/clients/marketorestpython_check.py through it (imports,
# then Bulk Extract from tests/clients/marketorestpython_exports.py). Set MOCK_BINARY to run an
# already built server instead of `cargo build --release`.
#
# Needs python3 with its venv module (and cargo, without MOCK_BINARY): when one is missing it
# prints the command that installs it and exits 3. The client is installed from PyPI into a
# venv of its own under target/ (CLIENT_VENV), never into the system's Python.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${CLIENT_VENV:-$ROOT/target/client-venv}"

source "$ROOT/scripts/lib/require.sh"
source "$ROOT/scripts/lib/mock.sh"
require_python_venv
[[ -n "${MOCK_BINARY:-}" ]] || require_cargo
require_done

echo "== python client marketorestpython"
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "marketorestpython==0.5.25"

LOG="$(mktemp)"
start_mock "$LOG"
trap 'kill "$MOCK_PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
BASE="$MOCK_BASE"
echo "   mock at $BASE"
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" tests/clients/marketorestpython_check.py "$BASE" "$ROOT/fixtures/samples"
