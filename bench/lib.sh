# shellcheck shell=bash
# Shared by the benchmark scripts: source it from bash after `set -euo pipefail`.
#
# Sets `here` (the checkout), `bin` (FREIGHT_GUARD_BIN, else the release binary, built if
# missing) and `tmp` (a directory removed on exit), and isolates git from user configuration.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
bin=${FREIGHT_GUARD_BIN:-$here/target/release/freight-guard}
[ -x "$bin" ] || (cd "$here" && cargo build --release --locked)
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# timed_pre_receive RUNS SERVER LINE [ARGS...]: run `freight-guard ARGS pre-receive` RUNS times
# on SERVER with LINE as hook input; stderr of the last run goes to $tmp/err. Prints the
# sorted wall times in µs, one per line. Fails (showing stderr) if a run rejects.
timed_pre_receive() {
    local runs=$1 server=$2 line=$3 start end
    shift 3
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        printf '%s\n' "$line" | GIT_DIR="$server" "$bin" "$@" pre-receive >/dev/null 2>"$tmp/err" || {
            cat "$tmp/err" >&2
            return 1
        }
        end=$(date +%s%N)
        printf '%s\n' $(((end - start) / 1000))
    done | sort -n
}

# summary NAME: read sorted µs times on stdin; print NAME with median, min and max.
summary() {
    local times n
    times=$(cat)
    n=$(printf '%s\n' "$times" | wc -l)
    printf '%s: median %s µs over %s runs (min %s µs, max %s µs)\n' "$1" \
        "$(printf '%s\n' "$times" | sed -n "$(((n + 1) / 2))p")" "$n" \
        "$(printf '%s\n' "$times" | head -1)" "$(printf '%s\n' "$times" | tail -1)"
}
