#!/usr/bin/env bash
# End-to-end test of the dashboard (/_mock/ui) in headless Chromium: installs the test's npm
# packages into tests/browser/node_modules with `npm ci`, builds the server, starts it on a
# free port, runs tests/browser/dashboard.test.mjs against it (which saves a screenshot), and
# always stops the server. Runnable from any directory, and again: what is there is reused.
#
#   scripts/browser-test.sh                      # screenshot in target/browser-test/
#   scripts/browser-test.sh --update-screenshot  # screenshot over docs/dashboard.png
#
# Needs cargo, Chromium, node and npm: when one is missing it prints the command that
# installs it and exits 3 (it installs no system package).
#
# The last line printed is `1 passed, 0 failed` or `0 passed, 1 failed`; the exit status is
# non-zero on failure.
#
# Environment:
#   CARGO_TARGET_DIR   cargo's output directory (default: the project's target/)
#   CHROMIUM_PATH      the browser (default: /usr/bin/chromium, Debian's chromium)
#   SCREENSHOT_PATH    where the screenshot goes (default: $CARGO_TARGET_DIR/browser-test/
#                      dashboard.png; the tracked docs/dashboard.png only when asked, with
#                      --update-screenshot or SCREENSHOT_PATH=docs/dashboard.png)
#   SERVER_START_SECS  how long the server may take to log its address (default: 30)
set -euo pipefail

for arg in "$@"; do
    case "$arg" in
        --update-screenshot) SCREENSHOT_PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/docs/dashboard.png" ;;
        -h | --help)
            sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

# A relative CARGO_TARGET_DIR means relative to where the script was started.
if [[ -n "${CARGO_TARGET_DIR:-}" && "${CARGO_TARGET_DIR}" != /* ]]; then
    CARGO_TARGET_DIR="$PWD/$CARGO_TARGET_DIR"
    export CARGO_TARGET_DIR
fi
if [[ -n "${SCREENSHOT_PATH:-}" && "${SCREENSHOT_PATH}" != /* ]]; then
    SCREENSHOT_PATH="$PWD/$SCREENSHOT_PATH"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
BROWSER_DIR="$ROOT/tests/browser"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BINARY="$TARGET_DIR/release/marketo-bulk-mock"
SCREENSHOT_PATH="${SCREENSHOT_PATH:-$TARGET_DIR/browser-test/dashboard.png}"
SERVER_START_SECS="${SERVER_START_SECS:-30}"

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/browser-test.XXXXXX")"
SERVER_LOG="$WORK_DIR/server.log"
SERVER_PID=""
SUMMARY_PRINTED=false

step() { printf '\n== %s\n' "$*"; }

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

show_server_log() {
    if [[ -s "$SERVER_LOG" ]]; then
        printf '\n-- last lines of the server log:\n' >&2
        tail -n 40 "$SERVER_LOG" >&2
    fi
}

on_exit() {
    local status=$?
    stop_server
    if [[ "$SUMMARY_PRINTED" != true ]]; then
        show_server_log
        if [[ $status -eq 0 ]]; then status=1; fi
        printf '0 passed, 1 failed\n'
    fi
    rm -rf "$WORK_DIR"
    exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "Prerequisites"
source "$ROOT/scripts/lib/require.sh"
require_cargo
require_command "$CHROMIUM" "$(require_apt chromium)"
require_command node "$(require_apt nodejs)"
require_command npm "$(require_apt npm)"
# A missing prerequisite is not a failed test: no summary line then.
SUMMARY_PRINTED=true
require_done
SUMMARY_PRINTED=false

step "Chromium"
# (Debian's launcher script may complain on stderr about its memory check; harmless.)
"$CHROMIUM" --version 2>/dev/null

step "npm packages (tests/browser)"
(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund)

step "cargo build --release"
cargo build --release --locked
if [[ ! -x "$BINARY" ]]; then
    printf 'FAIL: no binary at %s\n' "$BINARY" >&2
    exit 1
fi

step "Starting the server"
: >"$SERVER_LOG"
RUST_LOG=info "$BINARY" --host 127.0.0.1 --port 0 >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
BASE_URL=""
deadline=$((SECONDS + SERVER_START_SECS))
while [[ -z "$BASE_URL" ]]; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        printf 'FAIL: the server exited before it listened\n' >&2
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        printf 'FAIL: the server did not log its address within %s s\n' "$SERVER_START_SECS" >&2
        exit 1
    fi
    BASE_URL="$(grep -o -m 1 'listening on http://[0-9.]*:[0-9]*' "$SERVER_LOG" | sed 's/^listening on //' || true)"
    [[ -n "$BASE_URL" ]] || sleep 0.1
done
printf '   %s (pid %s)\n' "$BASE_URL" "$SERVER_PID"

step "Dashboard test"
mkdir -p "$(dirname "$SCREENSHOT_PATH")"
set +e
MOCK_BASE_URL="$BASE_URL" CHROMIUM_PATH="$CHROMIUM" SCREENSHOT_PATH="$SCREENSHOT_PATH" \
    node "$BROWSER_DIR/dashboard.test.mjs"
test_status=$?
set -e
stop_server
if [[ $test_status -ne 0 ]]; then
    show_server_log
    # The summary stays the last line.
    printf '0 passed, 1 failed\n'
fi
SUMMARY_PRINTED=true
exit "$test_status"
