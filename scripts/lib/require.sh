# Prerequisite checks, sourced by the scripts in scripts/. A script names what it needs, then
# calls require_done, which returns when everything is there and otherwise lists what is
# missing with the command that installs each, and exits 3. Nothing here installs anything:
# .ci/run does that on a fresh machine.
#
#   source "$ROOT/scripts/lib/require.sh"
#   require_command wrk "$(require_apt wrk)"
#   require_check "python3's venv module" "$(require_apt python3-venv)" python3 -c 'import ensurepip'
#   require_done
#
# The install commands are Debian's (apt-get), with sudo when not run as root.

REQUIRE_MISSING=()

# "sudo " when not run as root, for the commands printed.
require_sudo() {
    [[ "$(id -u)" -eq 0 ]] || printf 'sudo '
}

# The apt-get commands that install these Debian packages.
require_apt() {
    local sudo
    sudo="$(require_sudo)"
    printf '%sapt-get update && %sapt-get install -y --no-install-recommends %s' \
        "$sudo" "$sudo" "$*"
}

# The command that installs Rust (rustup, cargo, rustc).
require_rustup_install() {
    printf '%s' "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh"
}

# require_check WHAT HOW COMMAND...: WHAT is missing unless COMMAND succeeds; HOW installs it.
require_check() {
    local what=$1 how=$2
    shift 2
    if ! "$@" >/dev/null 2>&1; then
        REQUIRE_MISSING+=("$what" "$how")
    fi
}

# require_command NAME HOW: the command NAME (a name on PATH or a path); HOW installs it.
require_command() {
    require_check "$1" "$2" command -v "$1"
}

# cargo and rustc, for the scripts that build the server.
require_cargo() {
    require_command cargo "$(require_rustup_install)"
    require_command rustc "$(require_rustup_install)"
}

# python3 able to make a virtual environment (Debian keeps ensurepip in python3-venv).
require_python_venv() {
    require_command python3 "$(require_apt python3 python3-venv)"
    require_check "python3's venv module" "$(require_apt python3-venv)" \
        python3 -c 'import venv, ensurepip'
}

# Returns when nothing is missing; otherwise lists what is, and how to install it, and exits 3.
require_done() {
    local i
    if ((${#REQUIRE_MISSING[@]} == 0)); then
        return 0
    fi
    printf '%s: missing prerequisites (this script installs no system packages):\n' \
        "$(basename "$0")" >&2
    for ((i = 0; i < ${#REQUIRE_MISSING[@]}; i += 2)); do
        printf '  %s\n      run: %s\n' "${REQUIRE_MISSING[i]}" "${REQUIRE_MISSING[i + 1]}" >&2
    done
    exit 3
}
