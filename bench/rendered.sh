#!/usr/bin/env bash
# Wall time of `freight-guard pre-receive` judging one Kargo promotion of stage/staging (whole
# process, start-up included), median of 15 runs, on a repository with 200 releases on main:
#   1. the default policy (identity, freight cross-check against main's release directories);
#   2. image pairing on (`rendered.images`), with a 500 KB multi-document manifests.yaml;
#   3. a forge merge of a proposal onto stage/production.
#
#   bench/rendered.sh            # builds target/release/freight-guard if needed
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
kargo="$here/fixtures/kargo.sh"
work="$tmp/work"
bash "$here/fixtures/make-gitops.sh" "$work" --releases 200
bash "$kargo" init "$work" stage/staging >/dev/null
base=$(bash "$kargo" render "$work" stage/staging)
# The same freight again: Kargo would make no commit, so ask for one to time.
promotion=$(bash "$kargo" render "$work" stage/staging --allow-empty)
one=$(git -C "$work" show "$promotion:manifests.yaml")
: >"$tmp/big.yaml"
while [ "$(wc -c <"$tmp/big.yaml")" -lt 512000 ]; do printf '%s\n' "$one" >>"$tmp/big.yaml"; done
big=$(bash "$kargo" render "$work" big --stage staging --parent "$base" --manifest "$tmp/big.yaml")
printf 'rendered:\n  images: [ghcr.io/code-dot-org/code-dot-org]\n' >"$tmp/images.yaml"
bash "$kargo" init "$work" stage/production >/dev/null
prod=$(git -C "$work" rev-parse stage/production)
proposal=$(bash "$kargo" propose "$work")
merge=$(bash "$kargo" merge "$work" "$proposal")
git clone -q --bare "$work" "$tmp/server.git"
# The server as before each push.
git -C "$tmp/server.git" update-ref refs/heads/stage/staging "$base"
git -C "$tmp/server.git" update-ref refs/heads/stage/production "$prod"

# run NAME STDIN-LINE [ARGS...]: median of 15 runs of pre-receive; the push must be accepted.
run() {
    local name=$1 line=$2 times
    shift 2
    times=$(timed_pre_receive 15 "$tmp/server.git" "$line" "$@")
    grep -q "freight-guard: ok" "$tmp/err"
    printf '%s\n' "$times" | summary "$name"
}
run "promotion, default policy" "$base $promotion refs/heads/stage/staging"
run "promotion, image pairing on a 500 KB manifest" "$base $big refs/heads/stage/staging" \
    --config "$tmp/images.yaml"
run "forge merge of a proposal onto stage/production" "$prod $merge refs/heads/stage/production"
