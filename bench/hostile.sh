#!/usr/bin/env bash
# Wall time of `freight-guard pre-receive` judging one commit of each hostile fixture case
# (whole process, start-up included; best of 5 runs), and the verdict it gives.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
for case in yaml-bomb huge-record non-utf8-name current-symlink; do
    rm -rf "$tmp/work" "$tmp/server.git"
    bash "$here/fixtures/make-gitops.sh" "$tmp/work"
    bash "$here/fixtures/break.sh" "$case" "$tmp/work" >/dev/null
    git clone -q --bare "$tmp/work" "$tmp/server.git"
    old=$(git -C "$tmp/server.git" rev-parse main~1)
    new=$(git -C "$tmp/server.git" rev-parse main)
    best=''
    for _ in 1 2 3 4 5; do
        start=$(date +%s%N)
        code=0
        printf '%s %s refs/heads/main\n' "$old" "$new" |
            GIT_DIR="$tmp/server.git" "$bin" --format json pre-receive >"$tmp/out" 2>/dev/null || code=$?
        end=$(date +%s%N)
        t=$(((end - start) / 1000))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    rules=$( { grep -o '"rule": "[a-z-]*"' "$tmp/out" || true; } | sort -u | sed 's/"rule": //' | tr -d '"' | paste -sd, -) || true
    printf '%-16s exit %s  %8s µs  %s\n' "$case" "$code" "$best" "${rules:-(no findings)}"
done
