#!/usr/bin/env bash
# Smoke test of the Docker image: builds the static binary with cargo, packages it with
# `--build-arg BINARY_SOURCE=prebuilt` (no base image is pulled), runs the container, checks
# its health status, imports a sample file through it, stops it and checks the image size.
#
# Needs cargo, a Docker client with a daemon that answers it, python3, curl and readelf:
# when one is missing (or no daemon answers) it prints the command that installs (or starts)
# it and exits 3. It installs nothing and starts no daemon; .ci/run does both on a fresh
# machine. Safe to run again: the image tag and the staging copy are reused or temporary.
#
# Environment:
#   CARGO_TARGET_DIR     cargo's output directory (default: the project's target/)
#   DOCKER               the docker client (default: Debian's /usr/bin/docker)
#   IMAGE                the tag to build (default: marketo-bulk-mock:smoke)
#   SMOKE_PORT           the port the container listens on (default: 18080, or a free one)
#   MAX_IMAGE_MB         the image size limit in MB (default: 15)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RUST_TARGET=x86_64-unknown-linux-gnu
IMAGE="${IMAGE:-marketo-bulk-mock:smoke}"
MAX_IMAGE_MB="${MAX_IMAGE_MB:-15}"
CONTAINER="marketo-bulk-mock-smoke-$$"
SAMPLE="$ROOT/fixtures/samples/leads-mixed.csv"
EXPECTED_HEADER="email,firstName,lastName,company,leadScore,customerTier,Import Failure Reason"
EXPECTED_FAILURES=3
STAGING=""

step() { printf '\n== %s\n' "$*"; }
info() { printf '   %s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
run() {
    printf '   $ %s\n' "$*"
    "$@"
}

cleanup() {
    local status=$?
    if [[ -n "${DOCKER:-}" ]] && "$DOCKER" container inspect "$CONTAINER" >/dev/null 2>&1; then
        if ((status != 0)); then
            echo "-- container log:" >&2
            "$DOCKER" logs "$CONTAINER" >&2 2>&1 || true
        fi
        "$DOCKER" rm -f "$CONTAINER" >/dev/null 2>&1 || true
    fi
    if [[ -n "$STAGING" ]]; then
        rm -rf "$STAGING"
    fi
    exit "$status"
}
trap cleanup EXIT

# --- prerequisites ----------------------------------------------------------------------

# Debian's client builds with its built-in BuildKit when DOCKER_BUILDKIT=1; a newer client
# elsewhere on PATH may need the buildx plugin instead.
if [[ -z "${DOCKER:-}" ]]; then
    if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi

step "Prerequisites"
source "$ROOT/scripts/lib/require.sh"
require_cargo
require_check "the Rust target $RUST_TARGET" "rustup target add $RUST_TARGET" \
    bash -c '[[ -d "$(rustc --print target-libdir --target "$1")" ]]' _ "$RUST_TARGET"
require_command "$DOCKER" "$(require_apt docker.io)"
require_check "python3 (3.11 or later, for tomllib)" "$(require_apt python3)" python3 -c 'import tomllib'
require_command curl "$(require_apt curl)"
require_command readelf "$(require_apt binutils)"
require_done
# The engine is not started here: a system one (systemd), or the one .ci/run starts.
require_check "a Docker daemon answering $DOCKER" \
    "$(require_sudo)systemctl start docker (without systemd: $(require_sudo)dockerd &, as .ci/run starts it)" \
    "$DOCKER" info
require_done
info "client: $DOCKER ($("$DOCKER" --version))"
info "storage driver: $("$DOCKER" info --format '{{.Driver}}')"

# --- the binary and the image -----------------------------------------------------------

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
BINARY="$TARGET_DIR/$RUST_TARGET/release/marketo-bulk-mock"
DEFAULT_BINARY="target/$RUST_TARGET/release/marketo-bulk-mock"

step "Static release binary"
run env RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR="$TARGET_DIR" \
    cargo build --release --locked --target "$RUST_TARGET"
if command -v file >/dev/null 2>&1; then info "$(file -b "$BINARY")"; fi
if readelf --program-headers --wide "$BINARY" | grep -q 'program interpreter'; then
    fail "$BINARY is dynamically linked: an image FROM scratch cannot run it"
fi
info "statically linked: $BINARY ($(du -h "$BINARY" | cut -f1))"

step "Image $IMAGE"
VERSION="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["package"]["version"])' "$ROOT/Cargo.toml")"
SOURCE_URL="$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)"
if [[ "$BINARY" -ef "$ROOT/$DEFAULT_BINARY" ]]; then
    CONTEXT="$ROOT"
else
    # The binary lies outside the project: build from a context holding only it, at the
    # path the Dockerfile expects, with the project's .dockerignore.
    STAGING="$(mktemp -d)"
    mkdir -p "$STAGING/$(dirname "$DEFAULT_BINARY")"
    cp "$BINARY" "$STAGING/$DEFAULT_BINARY"
    cp "$ROOT/.dockerignore" "$STAGING/.dockerignore"
    CONTEXT="$STAGING"
    info "build context: $CONTEXT (a copy of $BINARY)"
fi
build_started=$SECONDS
run env DOCKER_BUILDKIT=1 "$DOCKER" build \
    --file "$ROOT/Dockerfile" \
    --build-arg BINARY_SOURCE=prebuilt \
    --build-arg VERSION="$VERSION" \
    --build-arg SOURCE_URL="$SOURCE_URL" \
    --target runtime \
    --tag "$IMAGE" \
    "$CONTEXT"
info "built in $((SECONDS - build_started)) s"

# --- the container ----------------------------------------------------------------------

free_port() {
    python3 - "$@" <<'PY'
import socket, sys
for port in [int(p) for p in sys.argv[1:]] + [0]:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
}
PORT="${SMOKE_PORT:-$(free_port 18080)}"
BASE="http://127.0.0.1:$PORT"

step "Container $CONTAINER on port $PORT"
run "$DOCKER" run --detach --name "$CONTAINER" \
    --network host \
    --env MARKETO_MOCK_PORT="$PORT" \
    --health-interval 1s \
    --health-start-period 1s \
    --health-timeout 3s \
    --health-retries 3 \
    "$IMAGE"

health=""
health_started=$SECONDS
for _ in $(seq 1 60); do
    health="$("$DOCKER" inspect --format '{{.State.Health.Status}}' "$CONTAINER")"
    running="$("$DOCKER" inspect --format '{{.State.Running}}' "$CONTAINER")"
    [[ "$health" == healthy ]] && break
    [[ "$running" == true ]] || fail "the container stopped before it was healthy"
    [[ "$health" == unhealthy ]] && fail "the container is unhealthy"
    sleep 0.5
done
[[ "$health" == healthy ]] || fail "the container was not healthy within 30 s (status: $health)"
info "health: $health after $((SECONDS - health_started)) s"
"$DOCKER" logs "$CONTAINER" 2>&1 | grep -q "listening on http://0.0.0.0:$PORT" ||
    fail "the log does not say it listens on 0.0.0.0:$PORT"
info "user: $("$DOCKER" inspect --format '{{.Config.User}}' "$CONTAINER")"

json_field() { # json_field EXPRESSION: evaluates a Python expression on the JSON `d` from stdin
    python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

step "Token"
TOKEN="$(curl -fsS "$BASE/identity/oauth/token?grant_type=client_credentials&client_id=mock-client-id&client_secret=mock-client-secret" |
    json_field 'd["access_token"]')"
[[ -n "$TOKEN" ]] || fail "no access token"
info "got a token"
AUTH=(-H "Authorization: Bearer $TOKEN")

step "Import $(basename "$SAMPLE")"
created="$(curl -fsS "${AUTH[@]}" -F "file=@$SAMPLE;type=text/csv" "$BASE/bulk/v1/leads.json?format=csv")"
info "$created"
BATCH="$(json_field 'd["result"][0]["batchId"] if d.get("success") else ""' <<<"$created")"
[[ -n "$BATCH" ]] || fail "the import was not created"

status=""
for _ in $(seq 1 100); do
    body="$(curl -fsS "${AUTH[@]}" "$BASE/bulk/v1/leads/batch/$BATCH.json")"
    status="$(json_field 'd["result"][0]["status"]' <<<"$body")"
    [[ "$status" == Complete || "$status" == Failed ]] && break
    sleep 0.2
done
info "$body"
[[ "$status" == Complete ]] || fail "batch $BATCH ended as '$status', not Complete"

failures="$(curl -fsS "${AUTH[@]}" "$BASE/bulk/v1/leads/batch/$BATCH/failures.json")"
printf '%s\n' "$failures" | sed 's/^/   | /'
python3 - "$EXPECTED_HEADER" "$EXPECTED_FAILURES" "$failures" <<'PY'
import csv, io, sys
header, count, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.reader(io.StringIO(text)))
if not rows or ",".join(rows[0]) != header:
    sys.exit(f"FAIL: failures header is {rows[0] if rows else None!r}, expected {header!r}")
if len(rows) - 1 != count:
    sys.exit(f"FAIL: {len(rows) - 1} failure rows, expected {count}")
PY
info "failures file: expected header and $EXPECTED_FAILURES rows"

step "docker stop"
stop_started="$(date +%s.%N)"
run "$DOCKER" stop "$CONTAINER"
stop_seconds="$(python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.2f}")' "$stop_started")"
exit_code="$("$DOCKER" inspect --format '{{.State.ExitCode}}' "$CONTAINER")"
info "stopped in ${stop_seconds} s with exit code $exit_code"
[[ "$exit_code" == 0 ]] || fail "exit code $exit_code after SIGTERM, expected 0"
python3 -c 'import sys; sys.exit(float(sys.argv[1]) >= 10)' "$stop_seconds" ||
    fail "docker stop took ${stop_seconds} s (the 10 s grace ran out?)"
"$DOCKER" logs "$CONTAINER" 2>&1 | tail -n 3 | sed 's/^/   | /'

# --- compose file and size --------------------------------------------------------------

step "docker-compose.yml"
if command -v docker-compose >/dev/null 2>&1; then
    run docker-compose --file "$ROOT/docker-compose.yml" config -q
    info "valid for $(docker-compose version --short 2>/dev/null || echo docker-compose)"
elif "$DOCKER" compose version >/dev/null 2>&1; then
    run "$DOCKER" compose --file "$ROOT/docker-compose.yml" config -q
else
    info "no compose tool installed; not checked"
fi

step "Image size"
size_bytes="$("$DOCKER" image inspect --format '{{.Size}}' "$IMAGE")"
size_mb="$(python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1e6:.2f}")' "$size_bytes")"
info "$IMAGE: $size_mb MB ($size_bytes bytes)"
python3 -c 'import sys; sys.exit(int(sys.argv[1]) >= int(sys.argv[2]) * 1000 * 1000)' \
    "$size_bytes" "$MAX_IMAGE_MB" || fail "the image is $size_mb MB; it must stay under $MAX_IMAGE_MB MB"

printf '\nOK: docker smoke test passed\n'
