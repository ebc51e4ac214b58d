#!/usr/bin/env bash
# The `freight-guard-release` hook of .pre-commit-hooks.yaml: runs the released binary of the
# version this hook repository is at (its Cargo.toml), downloaded once per version and target
# into the user's cache and checked against the release's SHA256SUMS. No Rust toolchain, no
# build. FREIGHT_GUARD_RELEASES overrides where releases are downloaded from.
set -euo pipefail
here=$(cd -- "$(dirname -- "$0")/.." && pwd -P)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/Cargo.toml" | head -n 1)
[ -n "$version" ] || { echo "freight-guard: no version in $here/Cargo.toml" >&2; exit 2; }
case "$(uname -s)/$(uname -m)" in
Linux/x86_64) target=x86_64-unknown-linux-gnu ;;
Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-gnu ;;
Darwin/x86_64) target=x86_64-apple-darwin ;;
Darwin/arm64) target=aarch64-apple-darwin ;;
*)
    echo "freight-guard: no release binary for $(uname -s)/$(uname -m); use the freight-guard hook (built from source) instead" >&2
    exit 2
    ;;
esac
cache=${XDG_CACHE_HOME:-${HOME:?}/.cache}/freight-guard/v$version-$target
bin=$cache/freight-guard
if [ ! -x "$bin" ]; then
    base=${FREIGHT_GUARD_RELEASES:-https://github.com/example/freight-guard/releases/download}/v$version
    archive=freight-guard-$target.tar.gz
    mkdir -p -- "$cache"
    tmp=$(mktemp -d "$cache/.download.XXXXXX")
    trap 'rm -rf -- "$tmp"' EXIT
    echo "freight-guard: downloading $base/$archive" >&2
    curl -fsSL --retry 3 -o "$tmp/$archive" "$base/$archive"
    curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS"
    want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
    if command -v sha256sum >/dev/null 2>&1; then
        got=$(sha256sum "$tmp/$archive" | cut -d' ' -f1)
    else
        got=$(shasum -a 256 "$tmp/$archive" | cut -d' ' -f1)
    fi
    if [ -z "$want" ] || [ "$want" != "$got" ]; then
        echo "freight-guard: the checksum of $archive is $got, SHA256SUMS says '${want:-nothing}': refusing to run it" >&2
        exit 2
    fi
    tar -xzf "$tmp/$archive" -C "$tmp" freight-guard
    mv -f -- "$tmp/freight-guard" "$bin"
fi
exec "$bin" "$@"
