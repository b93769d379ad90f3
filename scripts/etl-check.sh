#!/usr/bin/env bash
# Runs two real ETL tools end to end against a freshly started mock and checks what they
# emit: tap-marketo (Singer) and airbyte-source-marketo, both pinned, each in its own venv
# under target/. tests/clients/etl_check.py seeds the mock through the real API (Bulk
# Import of fixtures/samples/leads-good.csv), runs tap-marketo --discover then a sync of
# `leads` and `activities_new_lead`, and Airbyte check, discover, read of the same two
# streams, then checks that every imported lead comes back with its values and exactly one
# New Lead activity (type 12). Last line: `N passed, M failed`; non-zero exit on failure.
#
#   MOCK_BINARY=target/debug/marketo-bulk-mock  run this server instead of `cargo build --release`
#   ETL_TOOLS="tap airbyte"                     which tools to run (default both)
#   ETL_WORK=target/etl-check                   where configs, catalogs, outputs and the
#                                               mock's request journal of each step are kept
#   ETL_LEADS=fixtures/samples/leads-good.csv   the leads to import
#
# Needs python3 with its venv module (and cargo, without MOCK_BINARY): when one is missing it
# prints the command that installs it and exits 3. The tools are installed from PyPI into
# their venvs under target/, never into the system's Python.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/lib/require.sh"
source "$ROOT/scripts/lib/mock.sh"
require_python_venv
[[ -n "${MOCK_BINARY:-}" ]] || require_cargo
require_done
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="${ETL_TOOLS:-tap airbyte}"
WORK="${ETL_WORK:-$TARGET_DIR/etl-check}"
LEADS="${ETL_LEADS:-$ROOT/fixtures/samples/leads-good.csv}"
TAP_VENV="${TAP_VENV:-$TARGET_DIR/etl-venv-tap}"
AIRBYTE_VENV="${AIRBYTE_VENV:-$TARGET_DIR/etl-venv-airbyte}"

# Pinned: the versions whose calls were recorded (what the mock's ETL support is built against).
install() { # venv, requirement
    if [[ ! -x "$1/bin/python" ]]; then
        python3 -m venv "$1"
    fi
    "$1/bin/pip" install --quiet --disable-pip-version-check "$2"
}
TOOL_ARGS=()
for tool in $TOOLS; do
    case "$tool" in
        tap)
            echo "== installing tap-marketo 2.9.4 into $TAP_VENV"
            install "$TAP_VENV" "tap-marketo==2.9.4"
            TOOL_ARGS+=(--tap "$TAP_VENV/bin/python")
            ;;
        airbyte)
            echo "== installing airbyte-source-marketo 2.1.3 into $AIRBYTE_VENV"
            install "$AIRBYTE_VENV" "airbyte-source-marketo==2.1.3"
            TOOL_ARGS+=(--airbyte "$AIRBYTE_VENV/bin/python")
            ;;
        *)
            echo "unknown tool '$tool' in ETL_TOOLS (tap, airbyte)" >&2
            exit 2
            ;;
    esac
done
if [[ ${#TOOL_ARGS[@]} -eq 0 ]]; then
    echo "ETL_TOOLS names no tool (tap, airbyte)" >&2
    exit 2
fi

LOG="$(mktemp)"
start_mock "$LOG" --host 127.0.0.1
trap 'kill "$MOCK_PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
BASE="$MOCK_BASE"
echo "== ETL tools against the mock at $BASE (outputs in $WORK)"
mkdir -p "$WORK"
rm -rf "$WORK/tap-marketo" "$WORK/airbyte"
python3 tests/clients/etl_check.py --base "$BASE" --leads "$LEADS" --work "$WORK" "${TOOL_ARGS[@]}"
