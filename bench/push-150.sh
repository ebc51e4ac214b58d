#!/usr/bin/env bash
# Wall time of `freight-guard pre-receive` judging a push of 150 release commits on main
# (whole process, start-up included), median of 15 runs. Uses the release binary.
#
#   bench/push-150.sh            # builds target/release/freight-guard if needed
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
bin=${FREIGHT_GUARD_BIN:-$here/target/release/freight-guard}
[ -x "$bin" ] || (cd "$here" && cargo build --release --locked)
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$here/fixtures/make-gitops.sh" "$tmp/work" --releases 153
git clone -q --bare "$tmp/work" "$tmp/server.git"
base=$(git -C "$tmp/server.git" rev-list --skip=150 -1 main)
tip=$(git -C "$tmp/server.git" rev-parse main)
[ "$(git -C "$tmp/server.git" rev-list --count "$base..$tip")" = 150 ]
line="$base $tip refs/heads/main"
# The server's main is set back to the base, as before the push.
git -C "$tmp/server.git" update-ref refs/heads/main "$base"
times=()
for _ in $(seq 15); do
    start=$(date +%s%N)
    printf '%s\n' "$line" | GIT_DIR="$tmp/server.git" "$bin" pre-receive >/dev/null 2>"$tmp/err" || {
        cat "$tmp/err" >&2
        exit 1
    }
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
done
grep -q "150 commit(s) judged" "$tmp/err"
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(printf '%s\n' "$sorted" | sed -n 8p)
printf 'push of 150 release commits: median %s µs over 15 runs (min %s µs, max %s µs)\n' \
    "$median" "$(printf '%s\n' "$sorted" | head -1)" "$(printf '%s\n' "$sorted" | tail -1)"
