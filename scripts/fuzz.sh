#!/usr/bin/env bash
# Fuzzes the parsers with cargo-fuzz (libFuzzer): the delimited-file reader
# and lead import, multipart upload extraction, query/form parameters, read-back filters, and
# export create bodies with Range headers.
# Seeds come from fixtures/samples. Prints one summary line per target; fails on a crash.
# cargo-fuzz needs nightly compiler flags: a nightly toolchain is used when rustup has one
# (`rustup toolchain install nightly`), otherwise the installed toolchain with
# RUSTC_BOOTSTRAP=1 (a new machine may have only one toolchain, and none can be fetched).
#
# Needs cargo and cargo-fuzz: when one is missing it prints the command that installs it and
# exits 3 (it installs nothing). Corpora and crash inputs go to fuzz/corpus and
# fuzz/artifacts, which git ignores.
#
#   scripts/fuzz.sh                 # 60 s per target
#   FUZZ_SECONDS=600 scripts/fuzz.sh
#   scripts/fuzz.sh rows params     # chosen targets
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
    TARGETS=(rows multipart params filters exports)
fi

source "$ROOT/scripts/lib/require.sh"
require_cargo
require_check cargo-fuzz "cargo install cargo-fuzz --locked" cargo fuzz --help
require_done

if command -v rustup >/dev/null 2>&1 && rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    echo "== no nightly toolchain (rustup toolchain install nightly): cargo-fuzz runs on $(rustc --version) with RUSTC_BOOTSTRAP=1"
    FUZZ=(env RUSTC_BOOTSTRAP=1 cargo fuzz)
fi

cd "$ROOT/fuzz"
CORPUS="$ROOT/fuzz/corpus"

# Seed corpora from the bundled sample uploads.
mkdir -p "$CORPUS"/{rows,multipart,params,filters,exports}
for sample in "$ROOT"/fixtures/samples/*.{csv,tsv,ssv}; do
    name="$(basename "$sample")"
    # The first byte picks the format: 0 csv, 1 tsv, 2 ssv.
    case "$name" in
        *.tsv) selector='\x01' ;;
        *.ssv) selector='\x02' ;;
        *) selector='\x00' ;;
    esac
    { printf "$selector"; cat "$sample"; } >"$CORPUS/rows/$name"
    {
        printf '\xff--fuzzboundary\r\nContent-Disposition: form-data; name="format"\r\n\r\ncsv\r\n'
        printf -- '--fuzzboundary\r\nContent-Disposition: form-data; name="file"; filename="/tmp/%s"\r\nContent-Type: text/csv\r\n\r\n' "$name"
        cat "$sample"
        printf '\r\n--fuzzboundary--\r\n'
    } >"$CORPUS/multipart/$name"
done
printf 'filterType=email&filterValues=a@example.com,B@example.com&fields=email,firstName&batchSize=2' >"$CORPUS/filters/email"
printf 'filterType=id&filterValues=1,2,3&nextPageToken=N5TGM43FOQ5DE' >"$CORPUS/filters/id"
printf 'filterType=loyaltyNumber&filterValues=1&fields=id,leadScore,leadPartitionId' >"$CORPUS/filters/custom"
printf 'format=csv&lookupField=email&programMemberStatus=On+List&access_token=abc%%3Aint' >"$CORPUS/params/query"
printf 'rest/../bulk/v1/./leads.json' >"$CORPUS/params/dots"
printf '/bulk/v1/leads/batch/*' >"$CORPUS/params/glob"
# Export create bodies; the first byte picks the type: 0 leads, 1 program members, 2 car_c,
# 3 activities.
printf '\x00{"fields":["id","email","leadScore"],"format":"tsv","columnHeaderNames":{"email":"E"},"filter":{"createdAt":{"startAt":"2026-11-01","endAt":"2026-11-30T00:00:00+0700"}}}' >"$CORPUS/exports/leads"
printf '\x00{"fields":["id"],"filter":{"smartListName":"High Scoring Leads"}}' >"$CORPUS/exports/smart"
printf '\x01{"fields":["email","statusName"],"filter":{"programIds":[1001,1002],"statusNames":["On List"],"nurtureCadence":"paus"}}' >"$CORPUS/exports/members"
printf '\x02{"fields":["vin","leadId"],"filter":{"staticListId":2001}}' >"$CORPUS/exports/cars"
printf '\x03{"fields":null,"filter":{"createdAt":{"startAt":"2026-11-01T00:00:00Z","endAt":"2026-11-30T00:00:00Z"},"activityTypeIds":[12,13],"primaryAttributeValues":["Lead Score"]}}' >"$CORPUS/exports/activities"
printf '\x00bytes=0-9' >"$CORPUS/exports/range"

echo "== building the fuzz targets"
if ! "${FUZZ[@]}" build >/tmp/fuzz-build.$$.log 2>&1; then
    tail -n 40 /tmp/fuzz-build.$$.log
    echo "FAIL: the fuzz targets do not build"
    exit 1
fi
rm -f /tmp/fuzz-build.$$.log

status=0
for target in "${TARGETS[@]}"; do
    echo "== fuzzing $target for ${SECONDS_PER_TARGET}s"
    log="$(mktemp)"
    if "${FUZZ[@]}" run "$target" "$CORPUS/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
        coverage="$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | grep -o '[0-9]*' || true)"
        corpus="$(find "$CORPUS/$target" -type f | wc -l)"
        echo "   $target: ${runs:-?} executions, coverage ${coverage:-?} edges, corpus $corpus inputs, no crash"
    else
        echo "   $target: CRASH (inputs saved under fuzz/artifacts/$target)"
        tail -n 40 "$log"
        status=1
    fi
    rm -f "$log"
done
exit "$status"
