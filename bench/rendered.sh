#!/usr/bin/env bash
# Wall time of `freight-guard pre-receive` judging one Kargo promotion of stage/staging (whole
# process, start-up included), median of 15 runs, on a repository with 200 releases on main:
#   1. the default policy (identity, freight cross-check against main's release directories);
#   2. image pairing on (`rendered.images`), with a 500 KB multi-document manifests.yaml;
#   3. a forge merge of a proposal onto stage/production.
#
#   bench/rendered.sh            # builds target/release/freight-guard if needed
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd -P)
bin=${FREIGHT_GUARD_BIN:-$here/target/release/freight-guard}
[ -x "$bin" ] || (cd "$here" && cargo build --release --locked)
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kargo="$here/fixtures/kargo.sh"
work="$tmp/work"
bash "$here/fixtures/make-gitops.sh" "$work" --releases 200
base=$(bash "$kargo" render "$work" stage/staging)
promotion=$(bash "$kargo" render "$work" stage/staging)
one=$(git -C "$work" show "$promotion:manifests.yaml")
: >"$tmp/big.yaml"
while [ "$(wc -c <"$tmp/big.yaml")" -lt 512000 ]; do printf '%s\n' "$one" >>"$tmp/big.yaml"; done
big=$(bash "$kargo" render "$work" big --stage staging --parent "$base" --manifest "$tmp/big.yaml")
printf 'rendered:\n  images: [ghcr.io/code-dot-org/code-dot-org]\n' >"$tmp/images.yaml"
bash "$kargo" init "$work" stage/production >/dev/null
prod=$(git -C "$work" rev-parse stage/production)
proposal=$(bash "$kargo" propose "$work" production)
merge=$(bash "$kargo" merge "$work" "$proposal")
git clone -q --bare "$work" "$tmp/server.git"
# The server as before each push.
git -C "$tmp/server.git" update-ref refs/heads/stage/staging "$base"
git -C "$tmp/server.git" update-ref refs/heads/stage/production "$prod"

# run NAME STDIN-LINE [CONFIG]: median of 15 runs of pre-receive.
run() {
    local name=$1 line=$2 times=() start end sorted
    local -a config=()
    [ -z "${3:-}" ] || config=(--config "$3")
    for _ in $(seq 15); do
        start=$(date +%s%N)
        printf '%s\n' "$line" | GIT_DIR="$tmp/server.git" \
            "$bin" "${config[@]}" pre-receive >/dev/null 2>"$tmp/err" || {
            cat "$tmp/err" >&2
            exit 1
        }
        end=$(date +%s%N)
        times+=($(((end - start) / 1000)))
    done
    grep -q "freight-guard: ok" "$tmp/err"
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    printf '%s: median %s µs over 15 runs (min %s µs, max %s µs)\n' "$name" \
        "$(printf '%s\n' "$sorted" | sed -n 8p)" "$(printf '%s\n' "$sorted" | head -1)" \
        "$(printf '%s\n' "$sorted" | tail -1)"
}
run "promotion, default policy" "$base $promotion refs/heads/stage/staging"
run "promotion, image pairing on a 500 KB manifest" "$base $big refs/heads/stage/staging" "$tmp/images.yaml"
run "forge merge of a proposal onto stage/production" "$prod $merge refs/heads/stage/production"
