#!/bin/sh
# freight-guard for a GitHub Enterprise Server pre-receive hook repository.
#
# GitHub Enterprise Server runs this script in its pre-receive hook environment (a chroot)
# with the push's ref updates on stdin and the pushed objects in git's quarantine. All
# pre-receive hooks of a push share 5 seconds: freight-guard rejects with `deadline-exceeded`
# after 4.5 s (FREIGHT_GUARD_DEADLINE changes it) rather than let the platform kill the hook.
# The environment must provide the freight-guard binary: see docs/forges.md.
bin=${FREIGHT_GUARD_BIN:-freight-guard}
# No redirection to /dev/null: a minimal environment may have no /dev.
if ! found=$(command -v "$bin"); then
    echo "freight-guard: binary not found in the pre-receive hook environment; rejecting the push (fails closed)" >&2
    exit 1
fi
exec "$found" pre-receive --deadline "${FREIGHT_GUARD_DEADLINE:-4.5}"
