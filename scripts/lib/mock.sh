# Starts the mock for a check script, sourced after require.sh. MOCK_BINARY names an already
# built server (e.g. target/debug/marketo-bulk-mock) and skips the build; otherwise the release
# binary is built here.
#
#   source "$ROOT/scripts/lib/mock.sh"
#   start_mock "$LOG" [flags...]     # sets MOCK_PID and MOCK_BASE (http://127.0.0.1:PORT)
#   trap 'kill "$MOCK_PID" 2>/dev/null || true' EXIT
#
# The server listens on a free port, which it names in its log; a server that does not start
# is reported with its log, and the script exits 1.

start_mock() {
    local log=$1
    shift
    local binary="${MOCK_BINARY:-}"
    if [[ -z "$binary" ]]; then
        cargo build --release --locked --quiet
        binary="${CARGO_TARGET_DIR:-$ROOT/target}/release/marketo-bulk-mock"
    fi
    if [[ ! -x "$binary" ]]; then
        echo "no executable server at $binary" >&2
        exit 1
    fi
    "$binary" --port 0 "$@" >>"$log" 2>&1 &
    MOCK_PID=$!
    for _ in $(seq 1 100); do
        grep -q "listening on" "$log" && break
        sleep 0.05
    done
    MOCK_BASE="$(grep -o 'http://[0-9.:]*' "$log" | head -n 1)"
    if [[ -z "$MOCK_BASE" ]]; then
        kill "$MOCK_PID" 2>/dev/null || true
        echo "the server did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
}
