#!/usr/bin/env bash
# make-environment.sh BINARY OUT.tar.gz: the pre-receive hook environment for GitHub
# Enterprise Server (and any chroot a forge runs hooks in), built without a Docker daemon.
#
# The tarball is a root file system holding freight-guard at /usr/local/bin/freight-guard,
# /bin/sh (the hook script's interpreter) and /tmp, nothing else. A static BINARY (the release
# builds) needs nothing more; a dynamically linked one gets the libraries `ldd` names, so the
# environment works either way. Upload OUT.tar.gz as a pre-receive hook environment (site
# admin, Hooks, Manage environments) and use hooks/ghes/freight-guard.sh as the hook script.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BINARY OUT.tar.gz" >&2; exit 2; }
binary=$1 out=$2
[ -f "$binary" ] && [ -x "$binary" ] || { echo "$0: $binary is not an executable file" >&2; exit 2; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# copy_with_libraries FILE DEST: FILE at DEST inside the root, with the shared libraries it
# loads (none for a static binary) at their own paths.
copy_with_libraries() {
    local file=$1 dest=$2 lib
    mkdir -p "$root$(dirname "$dest")"
    cp -L "$file" "$root$dest"
    chmod 0755 "$root$dest"
    if ldd "$file" >/dev/null 2>&1; then
        for lib in $(ldd "$file" | grep -o '/[^ ]*'); do
            mkdir -p "$root$(dirname "$lib")"
            [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
        done
    fi
}

copy_with_libraries "$binary" /usr/local/bin/freight-guard
copy_with_libraries "$(readlink -f /bin/sh)" /bin/sh
mkdir -p "$root/tmp"
chmod 1777 "$root/tmp"
"$root/usr/local/bin/freight-guard" --version >/dev/null 2>&1 ||
    ldd "$binary" >/dev/null 2>&1 ||
    { echo "$0: $binary does not run" >&2; exit 1; }
tar -czf "$out" -C "$root" .
echo "wrote $out: $(tar -tzf "$out" | grep -vc '/$') file(s)"
