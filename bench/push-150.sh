#!/usr/bin/env bash
# Wall time of `freight-guard pre-receive` judging a push of 150 release commits on main
# (whole process, start-up included), median of 15 runs. Uses the release binary.
#
#   bench/push-150.sh            # builds target/release/freight-guard if needed
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bash "$here/fixtures/make-gitops.sh" "$tmp/work" --releases 153
git clone -q --bare "$tmp/work" "$tmp/server.git"
base=$(git -C "$tmp/server.git" rev-list --skip=150 -1 main)
tip=$(git -C "$tmp/server.git" rev-parse main)
[ "$(git -C "$tmp/server.git" rev-list --count "$base..$tip")" = 150 ]
line="$base $tip refs/heads/main"
# The server's main is set back to the base, as before the push.
git -C "$tmp/server.git" update-ref refs/heads/main "$base"
times=$(timed_pre_receive 15 "$tmp/server.git" "$line")
grep -q "150 commit(s) judged" "$tmp/err"
printf '%s\n' "$times" | summary "push of 150 release commits"
