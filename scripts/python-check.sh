#!/usr/bin/env bash
# Builds the Python package of python/ (the server binary and marketo_bulk_mock, with its
# pytest plugin) into a wheel with maturin, installs that wheel into a fresh venv under
# target/ together with pytest, pytest-xdist and marketorestpython (all pinned), and runs
# python/tests in 4 xdist workers. Installs no system package: a missing prerequisite is
# named with the command that installs it.
#
# maturin builds through `cargo rustc --release` in the same target directory as
# `cargo build --release`, so after the other checks' release build it only packs the wheel.
#
#   CARGO_TARGET_DIR=...       where cargo builds, and where the venvs and the wheel go
#   PYTEST_ARGS="-k clock"     more arguments for pytest
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
MATURIN_VENV="$TARGET_DIR/maturin-venv"
TEST_VENV="$TARGET_DIR/python-check-venv"
WHEELS="$TARGET_DIR/python-wheels"

MATURIN="maturin==1.16.0"
TEST_REQUIREMENTS=("pytest==8.4.2" "pytest-xdist==3.8.0" "marketorestpython==0.5.25")

missing=0
if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 is missing; install it with: sudo apt-get install -y python3 python3-venv" >&2
    missing=1
elif ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))'; then
    echo "python3 is $(python3 --version 2>&1 | cut -d' ' -f2); the package needs 3.8 or later" >&2
    missing=1
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "python3 cannot make virtual environments; install venv with: sudo apt-get install -y python3-venv" >&2
    missing=1
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing; install Rust with: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh" >&2
    missing=1
fi
if [[ "$missing" != 0 ]]; then
    exit 1
fi

echo "== maturin ($MATURIN) in $MATURIN_VENV"
if [[ ! -x "$MATURIN_VENV/bin/python" ]]; then
    python3 -m venv "$MATURIN_VENV"
fi
"$MATURIN_VENV/bin/pip" install --quiet --disable-pip-version-check "$MATURIN"

echo "== building the wheel"
rm -rf "$WHEELS"
(cd python && CARGO_TARGET_DIR="$TARGET_DIR" "$MATURIN_VENV/bin/maturin" build --release --quiet --out "$WHEELS")
WHEEL="$(ls "$WHEELS"/marketo_bulk_mock-*.whl)"
echo "   $(basename "$WHEEL")"

echo "== a fresh venv with the wheel, ${TEST_REQUIREMENTS[*]}"
rm -rf "$TEST_VENV"
python3 -m venv "$TEST_VENV"
"$TEST_VENV/bin/pip" install --quiet --disable-pip-version-check "$WHEEL" "${TEST_REQUIREMENTS[@]}"

echo "== pytest -n 4 python/tests"
# The tests use the binary the wheel installed, never one named in the environment; no
# bytecode or cache is written next to the sources.
# shellcheck disable=SC2086
env -u MARKETO_MOCK_BINARY -u MARKETO_MOCK_URL PYTHONDONTWRITEBYTECODE=1 \
    "$TEST_VENV/bin/python" -m pytest -n 4 -p no:cacheprovider python/tests ${PYTEST_ARGS:-}
