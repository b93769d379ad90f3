#!/usr/bin/env bash
# Performance benchmarks: one table of figures, each measured in this run beside its floor
# (the same work done by the bare `csv` crate or a minimal axum server on this machine), with
# the ratio and the target, so the ratios hold on a busy or shared machine.
#
#   scripts/bench.sh            # the full run: 10 MB files, 10 queued jobs, 1,000,000 leads
#   scripts/bench.sh --smoke    # the quick one for CI: 1 MB files, 1 s of wrk, 50,000 leads
#
# Builds in release mode. Needs cargo and wrk: when one is missing it prints the command that
# installs it and exits 3 (it installs nothing). Generated files live in memory or the
# temporary directory, and nothing in the project is written but cargo's target directory;
# servers listen on free loopback ports.
#
# Environment:
#   BENCH_SMOKE=1      same as --smoke
#   BENCH_STRICT=1     exit 1 when a figure misses its target (default: report only)
#   CARGO_TARGET_DIR   cargo's output directory (default: the project's target/)
#   WRK                the wrk binary (default: wrk on PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SMOKE="${BENCH_SMOKE:-0}"
[[ "$SMOKE" == "0" ]] && SMOKE=""
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        -h | --help)
            sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done
MODE_ARGS=()
[[ -n "$SMOKE" ]] && MODE_ARGS=(--smoke)

source "$ROOT/scripts/lib/require.sh"
require_cargo
WRK="${WRK:-wrk}"
require_command "$WRK" "$(require_apt wrk)"
require_done
WRK="$(command -v "$WRK")"

echo "== building (release)" >&2
BUILD_LOG="$(mktemp -t bench-build.XXXXXX)"
RESULTS="$(mktemp -t bench-results.XXXXXX)"
trap 'rm -f "$RESULTS" "$BUILD_LOG"' EXIT
# The benches reach the import and export cores through the `internals` feature.
cargo build --release --locked --bin marketo-bulk-mock \
    --example minimal_axum --bench import --bench export --bench server \
    --message-format=json-render-diagnostics >"$BUILD_LOG"
# A build leaves the kernel writing its output back to disk for a while; flushed first, so
# that work does not share the cores with the first figures.
sync

# The path of a built executable of one kind (bin, example, bench), from cargo's messages.
built() {
    grep "\"kind\":\[\"$1\"\]" "$BUILD_LOG" | grep "\"name\":\"$2\"" |
        grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4
}
IMPORT_BENCH="$(built bench import)"
EXPORT_BENCH="$(built bench export)"
SERVER_BENCH="$(built bench server)"
SERVER_BIN="$(built bin marketo-bulk-mock)"
MINIMAL_BIN="$(built example minimal_axum)"
for exe in "$IMPORT_BENCH" "$EXPORT_BENCH" "$SERVER_BENCH" "$SERVER_BIN" "$MINIMAL_BIN"; do
    [[ -n "$exe" && -x "$exe" ]] || {
        echo "missing executable: '${exe}'" >&2
        exit 1
    }
done

STARTED=$SECONDS
echo "== import vs csv floor" >&2
"$IMPORT_BENCH" "${MODE_ARGS[@]}" | grep '^ROW|' >>"$RESULTS"
echo "== export vs csv writer floor" >&2
"$EXPORT_BENCH" "${MODE_ARGS[@]}" | grep '^ROW|' >>"$RESULTS"
echo "== server vs minimal axum and csv floors" >&2
"$SERVER_BENCH" "${MODE_ARGS[@]}" --server "$SERVER_BIN" --minimal "$MINIMAL_BIN" --wrk "$WRK" |
    grep '^ROW|' >>"$RESULTS"
ELAPSED=$((SECONDS - STARTED))

MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
echo
echo "machine: $(nproc) cores, ${MODEL:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo); $(rustc --version)"
echo "run: ${SMOKE:+smoke, }$(date -u +%Y-%m-%dT%H:%MZ), ${ELAPSED} s of measuring"
echo
{
    echo "measure|value|floor|ratio|target|ok"
    echo "---|---:|---:|---:|---|---"
    cut -d'|' -f2- "$RESULTS"
} | awk -F'|' '
    {
        for (i = 1; i <= NF; i++) {
            cell[NR, i] = $i
            if (NR != 2 && length($i) > width[i]) width[i] = length($i)
        }
        columns = NF
    }
    END {
        for (r = 1; r <= NR; r++) {
            line = "|"
            for (i = 1; i <= columns; i++) {
                if (r == 2) {
                    right = (cell[r, i] ~ /:$/)
                    text = ""
                    for (k = 0; k < width[i] - right; k++) text = text "-"
                    if (right) text = text ":"
                } else if (i >= 2 && i <= 4) {
                    text = sprintf("%" width[i] "s", cell[r, i])
                } else {
                    text = sprintf("%-" width[i] "s", cell[r, i])
                }
                line = line " " text " |"
            }
            print line
        }
    }'

if [[ -n "${BENCH_STRICT:-}" && "${BENCH_STRICT}" != "0" ]] && cut -d'|' -f7 "$RESULTS" | grep -qx 'NO'; then
    echo "some figures miss their targets" >&2
    exit 1
fi
