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

# Crafted trees (not fixture cases): one commit on main whose tree is written by hand, judged
# with the deadline given after the case name (4.5 s is the hook's default). `dup`: the top
# tree lists `warehouses` 100,001 times. `wide`: 200,000 warehouses under distinct names, each
# the valid `codeai` warehouse (well formed; all of it valid). `flood`: the valid release's
# freight root with 100,000 stray files.
rm -rf "$tmp/work" "$tmp/server.git"
bash "$here/fixtures/make-gitops.sh" "$tmp/work"
bash "$here/fixtures/break.sh" valid "$tmp/work" >/dev/null
git clone -q --bare "$tmp/work" "$tmp/server.git"
good=$(git -C "$tmp/server.git" rev-parse main)
base=$(git -C "$tmp/server.git" rev-parse main~1)
for run in dup:4.5 wide:1 wide:4.5 flood:4.5; do
    case=${run%%:*} deadline=${run#*:}
    new=$(python3 - "$tmp/server.git" "$good" "$base" "$case" <<'PY'
import subprocess, sys
repo, good, base, case = sys.argv[1:]
def git(*args, data=None):
    return subprocess.run(["git", "-C", repo, *args], input=data, capture_output=True, check=True).stdout
def entries(treeish):
    out = []
    for line in git("ls-tree", "-z", treeish).split(b"\0"):
        if line:
            meta, name = line.split(b"\t", 1)
            mode, _, oid = meta.split(b" ")
            out.append((mode.lstrip(b"0"), name, oid.decode()))
    return out
def write(items):
    items.sort(key=lambda e: e[1] + (b"/" if e[0] == b"40000" else b""))
    raw = b"".join(m + b" " + n + b"\0" + bytes.fromhex(i) for m, n, i in items)
    return git("hash-object", "-t", "tree", "--literally", "-w", "--stdin", data=raw).decode().strip()
def replace(treeish, name, oid):
    return write([(m, n, oid if n == name else i) for m, n, i in entries(treeish)])
if case == "dup":
    items = entries(good + "^{tree}")
    items += [e for e in items if e[1] == b"warehouses"] * 100000
    top = write(items)
elif case == "wide":
    codeai = git("rev-parse", good + ":warehouses/codeai").decode().strip()
    items = entries(good + ":warehouses") + [(b"40000", b"w%06d" % k, codeai) for k in range(200000)]
    top = replace(good + "^{tree}", b"warehouses", write(items))
else:
    root = "warehouses/codeai/freight"
    blob = git("rev-parse", good + ":" + root + "/current/freight.yaml").decode().strip()
    items = entries(good + ":" + root) + [(b"100644", b"notes-%06d.txt" % k, blob) for k in range(100000)]
    codeai = replace(good + ":warehouses/codeai", b"freight", write(items))
    top = replace(good + "^{tree}", b"warehouses", replace(good + ":warehouses", b"codeai", codeai))
env = {"GIT_AUTHOR_NAME": "CI Release Bot", "GIT_AUTHOR_EMAIL": "ci@example.com",
       "GIT_COMMITTER_NAME": "CI Release Bot", "GIT_COMMITTER_EMAIL": "ci@example.com",
       "GIT_AUTHOR_DATE": "2026-04-01T12:00:00Z", "GIT_COMMITTER_DATE": "2026-04-01T12:00:00Z"}
import os
out = subprocess.run(["git", "-C", repo, "commit-tree", top, "-p", base, "-m", "Release codeai"],
                     capture_output=True, check=True, env=dict(os.environ, **env)).stdout
print(out.decode().strip())
PY
)
    best=''
    for _ in 1 2 3; do
        start=$(date +%s%N)
        code=0
        printf '%s %s refs/heads/main\n' "$base" "$new" |
            GIT_DIR="$tmp/server.git" FREIGHT_GUARD_DEADLINE=$deadline "$bin" pre-receive >/dev/null 2>"$tmp/err" || code=$?
        end=$(date +%s%N)
        t=$(((end - start) / 1000))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    bytes=$(wc -c <"$tmp/err")
    rules=$(grep -o '^[a-z-]*$' "$tmp/err" | sort -u | paste -sd, -) || true
    printf '%-16s exit %s  %8s µs  %7s bytes to the pusher  %s\n' "$case, ${deadline} s" "$code" "$best" "$bytes" "${rules:-(no findings)}"
done
