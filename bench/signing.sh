#!/usr/bin/env bash
# Cost of signature verification per commit: `freight-guard pre-receive` judging a push of
# N (default 100) signed Kargo commits onto stage/staging, median of 15 runs, once with
# `signing.require: true` and once with `require: false` and the same key files loaded; the
# difference divided by N is the cost of one verified commit. One chain per key type:
# SSH ed25519, ECDSA P-256 and RSA 3072 (ssh-keygen); OpenPGP ed25519 and RSA 4096 (gpg; RSA 4096
# is what GitHub's web-flow merge key is).
#
#   bench/signing.sh [N]          # builds target/release/freight-guard if needed
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
n=${1:-100}
kargo="$here/fixtures/kargo.sh"
work="$tmp/work"
export GNUPGHOME="$tmp/gnupg"
mkdir -m 700 "$GNUPGHOME"
trap 'gpgconf --kill all 2>/dev/null || true; rm -rf "$tmp"' EXIT
bash "$here/fixtures/make-gitops.sh" "$work" --releases 50
bash "$kargo" init "$work" stage/staging >/dev/null
base=$(bash "$kargo" render "$work" stage/staging)
tree=$(git -C "$work" rev-parse "$base^{tree}")
rev=$(git -C "$work" show "refs/heads/main:warehouses/codeai/freight/current/freight.yaml" |
    sed -n 's/^revision:[[:space:]]*//p')

: >"$tmp/allowed_signers"
for spec in ed25519:ed25519 ecdsa:ecdsa rsa:rsa; do
    ssh-keygen -q -t "${spec%%:*}" $([ "${spec%%:*}" = rsa ] && echo -b 3072) -N '' \
        -C "${spec##*:}" -f "$tmp/ssh-${spec##*:}"
    printf 'no-reply@kargo.io %s\n' "$(cat "$tmp/ssh-${spec##*:}.pub")" >>"$tmp/allowed_signers"
done
for algo in ed25519 rsa4096; do
    gpg --batch --pinentry-mode loopback --passphrase '' \
        --quick-gen-key "Kargo $algo <kargo-$algo@kargo.io>" "$algo" sign never 2>/dev/null
done
gpg --armor --export >"$tmp/kargo.asc" 2>/dev/null

export GIT_AUTHOR_NAME=Kargo GIT_AUTHOR_EMAIL=no-reply@kargo.io
export GIT_COMMITTER_NAME=Kargo GIT_COMMITTER_EMAIL=no-reply@kargo.io
export GIT_AUTHOR_DATE=2026-04-01T12:00:00Z GIT_COMMITTER_DATE=2026-04-01T12:00:00Z
# chain NAME FORMAT KEY: N commits on top of $base, each signed; prints the tip.
chain() {
    local tip=$base i
    for i in $(seq "$n"); do
        tip=$(printf 'Render staging from git-%s [skip ci]\n\n%s %s\n' "$rev" "$1" "$i" |
            git -C "$work" -c "gpg.format=$2" commit-tree -S"$3" -p "$tip" "$tree")
    done
    printf '%s\n' "$tip"
}
declare -A tips
tips[ssh-ed25519]=$(chain ssh-ed25519 ssh "$tmp/ssh-ed25519")
tips[ssh-ecdsa-p256]=$(chain ssh-ecdsa ssh "$tmp/ssh-ecdsa")
tips[ssh-rsa-3072]=$(chain ssh-rsa ssh "$tmp/ssh-rsa")
tips[openpgp-ed25519]=$(chain pgp-ed25519 openpgp kargo-ed25519@kargo.io)
tips[openpgp-rsa-4096]=$(chain pgp-rsa openpgp kargo-rsa4096@kargo.io)
git clone -q --bare "$work" "$tmp/server.git"
git -C "$tmp/server.git" update-ref refs/heads/stage/staging "$base"

keys="  ssh_allowed_signers: $tmp/allowed_signers\n  gpg_keys: [$tmp/kargo.asc]\n"
printf "signing:\n  require: true\n$keys" >"$tmp/on.yaml"
printf "signing:\n  require: false\n$keys" >"$tmp/off.yaml"

median() { awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
printf '%-18s %10s %10s %14s\n' "key" "off (ms)" "on (ms)" "per commit (µs)"
for name in ssh-ed25519 ssh-ecdsa-p256 ssh-rsa-3072 openpgp-ed25519 openpgp-rsa-4096; do
    line="$base ${tips[$name]} refs/heads/stage/staging"
    timed_pre_receive 3 "$tmp/server.git" "$line" --config "$tmp/on.yaml" >/dev/null # warm-up
    off=$(timed_pre_receive 15 "$tmp/server.git" "$line" --config "$tmp/off.yaml" | median)
    on=$(timed_pre_receive 15 "$tmp/server.git" "$line" --config "$tmp/on.yaml" | median)
    grep -q "freight-guard: ok" "$tmp/err"
    awk -v name="$name" -v off="$off" -v on="$on" -v n="$n" \
        'BEGIN { printf "%-18s %10.1f %10.1f %14d\n", name, off / 1000, on / 1000, (on - off) / n }' 
done
printf '(%s commits per push; medians of 15 runs)\n' "$n"
