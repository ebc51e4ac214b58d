#!/usr/bin/env bash
#
# install.sh: build and install freight-guard, install its git hooks, or run a demonstration.
# Run `./install.sh --help` for the interface.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PROG=install.sh

usage() {
    cat <<'EOF'
usage: install.sh [--prefix DIR] [--no-build]
       install.sh [--prefix DIR] [--no-build] --hooks REPO [--layout plain|gitlab|gitea]
                  [--policy FILE] [--deadline SECONDS]
       install.sh [--prefix DIR] [--no-build] --demo
       install.sh --help

Without a mode: build freight-guard (cargo build --release --locked) and install the binary
into PREFIX/bin (default ~/.local/bin).

  --hooks REPO  Also install freight-guard's git hooks into REPO's hooks directory (as git
                resolves it, so core.hooksPath is honoured): pre-receive in a bare repository,
                pre-commit and pre-push in a repository with a worktree. The hooks call the
                installed binary by absolute path unless FREIGHT_GUARD_BIN or a freight-guard
                on PATH is found first. A hook already in place is kept as <name>.local and
                runs after freight-guard (a freight-guard hook from an earlier install is
                simply replaced); if <name>.local exists too, nothing is changed and the
                command fails.
  --layout L    Where --hooks puts the pre-receive hook of a bare repository:
                  plain   REPO/hooks/pre-receive (plain git, gitolite; the default)
                  gitlab  REPO/custom_hooks/pre-receive.d/freight-guard (GitLab server hooks;
                          GitLab runs every file there after its own checks, and shows the
                          rejection in its web UI, as freight-guard prefixes its lines with
                          GL-HOOK-ERR: when GL_ID is set)
                  gitea   REPO/hooks/pre-receive.d/freight-guard (Gitea, Forgejo)
                GitHub Enterprise Server takes hooks from a hook repository instead: see
                hooks/ghes/ and docs/forges.md.
  --policy FILE With --hooks: the server-side policy file the pre-receive hook uses
                (FREIGHT_GUARD_CONFIG), written into the installed hook so that reinstalling
                keeps it; the hook's environment still wins when it sets the variable.
  --deadline S  With --hooks: the pre-receive hook's deadline in seconds
                (FREIGHT_GUARD_DEADLINE), written into the installed hook likewise.
  --demo        Also run a demonstration in a new temporary directory: a GitOps repository
                and a bare server clone guarded by the pre-receive hook; a valid release is
                pushed (must be accepted), then a release whose current/ differs from its
                release directory (must be rejected); then Kargo's render of stage/staging
                (must be accepted) and a hand-made commit on it (must be rejected). Exits 0
                only if all four happen.
  --prefix DIR  Install into DIR/bin (default: $PREFIX, else ~/.local).
  --no-build    Do not run cargo: install an existing target/release/freight-guard, or use
                the binary already in PREFIX/bin.
  -h, --help    Show this help.

Environment:
  PREFIX              installation prefix (default ~/.local)
  FREIGHT_GUARD_BIN   an existing freight-guard binary to use instead of building and
                      installing one; the hooks call it by this path
  CARGO_TARGET_DIR    cargo's target directory (default: target/ next to this script)
  TMPDIR              where --demo creates its directory (default /tmp)

Exit status: 0 on success, 1 on failure, 2 on bad usage.
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

usage_error() {
    printf '%s: %s\n' "$PROG" "$*" >&2
    printf "Run '%s --help' for usage.\n" "$PROG" >&2
    exit 2
}

say() {
    printf '%s\n' "$*"
}

# abs_path PATH: print PATH made absolute (its directory must exist).
abs_path() {
    local dir base
    dir=$(dirname -- "$1")
    base=$(basename -- "$1")
    dir=$(cd -- "$dir" && pwd -P) || return 1
    printf '%s/%s\n' "${dir%/}" "$base"
}

# --- arguments ---------------------------------------------------------------------------------

mode=binary
hooks_repo=''
layout=''
hook_policy=''
hook_deadline=''
no_build=0
prefix=${PREFIX:-${HOME:?HOME is not set}/.local}

set_mode() {
    [ "$mode" = binary ] || usage_error "--hooks and --demo cannot be combined"
    mode=$1
}

while [ $# -gt 0 ]; do
    case $1 in
    -h | --help)
        usage
        exit 0
        ;;
    --hooks)
        [ $# -ge 2 ] || usage_error "--hooks needs a repository"
        set_mode hooks
        hooks_repo=$2
        shift 2
        ;;
    --hooks=*)
        set_mode hooks
        hooks_repo=${1#*=}
        shift
        ;;
    --layout)
        [ $# -ge 2 ] || usage_error "--layout needs one of plain, gitlab, gitea"
        layout=$2
        shift 2
        ;;
    --layout=*)
        layout=${1#*=}
        shift
        ;;
    --policy)
        [ $# -ge 2 ] || usage_error "--policy needs a file"
        hook_policy=$2
        shift 2
        ;;
    --policy=*)
        hook_policy=${1#--policy=}
        shift
        ;;
    --deadline)
        [ $# -ge 2 ] || usage_error "--deadline needs a number of seconds"
        hook_deadline=$2
        shift 2
        ;;
    --deadline=*)
        hook_deadline=${1#--deadline=}
        shift
        ;;
    --demo)
        set_mode demo
        shift
        ;;
    --prefix)
        [ $# -ge 2 ] || usage_error "--prefix needs a directory"
        prefix=$2
        shift 2
        ;;
    --prefix=*)
        prefix=${1#*=}
        shift
        ;;
    --no-build)
        no_build=1
        shift
        ;;
    *)
        usage_error "unknown argument: $1"
        ;;
    esac
done
[ "$mode" != hooks ] || [ -n "$hooks_repo" ] || usage_error "--hooks needs a repository"
if [ -n "$hook_policy$hook_deadline" ]; then
    [ "$mode" = hooks ] || usage_error "--policy and --deadline go with --hooks"
fi
if [ -n "$hook_policy" ]; then
    [ -f "$hook_policy" ] || usage_error "--policy: no such file: $hook_policy"
    hook_policy=$(cd -- "$(dirname -- "$hook_policy")" && pwd -P)/$(basename -- "$hook_policy")
fi
if [ -n "$hook_deadline" ]; then
    case $hook_deadline in
    *[!0-9.]* | *.*.* | . | '') usage_error "--deadline: '$hook_deadline' is not a positive number of seconds" ;;
    esac
fi
if [ -n "$layout" ]; then
    [ "$mode" = hooks ] || usage_error "--layout goes with --hooks"
    case $layout in
    plain | gitlab | gitea) ;;
    *) usage_error "unknown layout '$layout' (plain, gitlab or gitea)" ;;
    esac
fi
layout=${layout:-plain}

# --- the binary ----------------------------------------------------------------------------------

BIN=''

# install_binary SRC: copy SRC to PREFIX/bin/freight-guard (atomically, so a hook running the
# old binary is not disturbed) and set BIN.
install_binary() {
    local src=$1 bindir dest tmp
    bindir="$prefix/bin"
    mkdir -p -- "$bindir" || die "cannot create $bindir"
    bindir=$(cd -- "$bindir" && pwd -P)
    dest="$bindir/freight-guard"
    tmp="$bindir/.freight-guard.tmp.$$"
    cp -- "$src" "$tmp" || die "cannot write $tmp"
    chmod 0755 "$tmp"
    mv -f -- "$tmp" "$dest" || { rm -f -- "$tmp"; die "cannot install $dest"; }
    BIN=$dest
    say "installed freight-guard to $dest"
    install_docs "$dest"
    case ":${PATH:-}:" in
    *":$bindir:"*) ;;
    *) say "note: $bindir is not on PATH (hooks installed with --hooks call the binary by its full path)" ;;
    esac
}

# install_docs BIN: the man page and the bash, zsh and fish completions, generated by BIN,
# under PREFIX/share (where those shells and man look for a user's or a system's prefix).
install_docs() {
    local bin=$1 share
    share="$prefix/share"
    local -a targets=(
        "man:$share/man/man1/freight-guard.1"
        "bash:$share/bash-completion/completions/freight-guard"
        "zsh:$share/zsh/site-functions/_freight-guard"
        "fish:$share/fish/vendor_completions.d/freight-guard.fish"
    )
    local entry what file
    for entry in "${targets[@]}"; do
        what=${entry%%:*}
        file=${entry#*:}
        mkdir -p -- "$(dirname -- "$file")" || die "cannot create $(dirname -- "$file")"
        if [ "$what" = man ]; then
            "$bin" man >"$file.tmp.$$" || { rm -f -- "$file.tmp.$$"; die "cannot generate the man page"; }
        else
            "$bin" completions "$what" >"$file.tmp.$$" || { rm -f -- "$file.tmp.$$"; die "cannot generate the $what completions"; }
        fi
        mv -f -- "$file.tmp.$$" "$file" || die "cannot install $file"
    done
    say "installed the man page (freight-guard(1)) and bash, zsh and fish completions under $share"
}

# resolve_binary: set BIN to the freight-guard binary to use, building and installing it
# unless FREIGHT_GUARD_BIN names one or --no-build was given.
resolve_binary() {
    local target_dir built
    if [ -n "${FREIGHT_GUARD_BIN:-}" ]; then
        if [ ! -f "$FREIGHT_GUARD_BIN" ] || [ ! -x "$FREIGHT_GUARD_BIN" ]; then
            die "FREIGHT_GUARD_BIN=$FREIGHT_GUARD_BIN is not an executable file"
        fi
        BIN=$(abs_path "$FREIGHT_GUARD_BIN")
        say "using FREIGHT_GUARD_BIN=$BIN (not building)"
        return 0
    fi

    target_dir=${CARGO_TARGET_DIR:-target}
    case $target_dir in
    /*) ;;
    *) target_dir="$ROOT/$target_dir" ;;
    esac
    built="$target_dir/release/freight-guard"

    if [ "$no_build" = 1 ]; then
        if [ -x "$built" ]; then
            install_binary "$built"
        elif [ -x "$prefix/bin/freight-guard" ]; then
            BIN=$(abs_path "$prefix/bin/freight-guard")
            say "using the installed $BIN (--no-build)"
        else
            die "--no-build: neither $built nor $prefix/bin/freight-guard exists"
        fi
        return 0
    fi

    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found; install Rust (https://rustup.rs) or set FREIGHT_GUARD_BIN"
    say "building freight-guard: cargo build --release --locked"
    (cd "$ROOT" && cargo build --release --locked) || die "cargo build failed"
    [ -x "$built" ] || die "cargo build did not produce $built"
    install_binary "$built"
}

# --- hooks -----------------------------------------------------------------------------------------

# is_wrapper FILE: true if FILE is a hook written by this installer.
is_wrapper() {
    [ -f "$1" ] && grep -q '^# freight-guard-wrapper v' "$1" 2>/dev/null
}

# sh_quote STRING: print STRING as one single-quoted sh word.
sh_quote() {
    local s=$1 q="'\\''"
    printf "'%s'\n" "${s//\'/$q}"
}

# write_wrapper NAME DIR [DEST]: install hooks/NAME from this checkout into DIR (as DEST,
# default NAME) with BIN baked in.
write_wrapper() {
    local name=$1 dir=$2 dest=${3:-$1} src tmp line
    src="$ROOT/hooks/$name"
    [ -f "$src" ] || die "missing $src"
    tmp="$dir/.$dest.freight-guard.tmp.$$"
    line="FREIGHT_GUARD_DEFAULT_BIN=$(sh_quote "$BIN")"
    FG_BIN_LINE=$line \
        FG_CONFIG_LINE="FREIGHT_GUARD_DEFAULT_CONFIG=$(sh_quote "$hook_policy")" \
        FG_DEADLINE_LINE="FREIGHT_GUARD_DEFAULT_DEADLINE=$(sh_quote "$hook_deadline")" awk '
        /^FREIGHT_GUARD_DEFAULT_BIN=/ && !done { print ENVIRON["FG_BIN_LINE"]; done = 1; next }
        /^FREIGHT_GUARD_DEFAULT_CONFIG=/ { print ENVIRON["FG_CONFIG_LINE"]; next }
        /^FREIGHT_GUARD_DEFAULT_DEADLINE=/ { print ENVIRON["FG_DEADLINE_LINE"]; next }
        { print }
    ' "$src" >"$tmp" || { rm -f -- "$tmp"; die "cannot write $tmp"; }
    grep -qxF -- "$line" "$tmp" || { rm -f -- "$tmp"; die "$src has no FREIGHT_GUARD_DEFAULT_BIN= line"; }
    chmod 0755 "$tmp"
    mv -f -- "$tmp" "$dir/$dest" || { rm -f -- "$tmp"; die "cannot install $dir/$dest"; }
}

# install_forge_hook REPO LAYOUT: install the pre-receive wrapper as freight-guard in the
# directory of hooks a forge runs for REPO (see usage). REPO must be bare.
install_forge_hook() {
    local repo=$1 layout=$2 dir
    [ -d "$repo" ] || die "no such directory: $repo"
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "not a git repository: $repo"
    repo=$(cd -- "$repo" && pwd -P)
    [ "$(git -C "$repo" rev-parse --is-bare-repository)" = true ] ||
        die "--layout $layout: $repo is not a bare repository (forges keep their repositories bare)"
    case $layout in
    gitlab) dir="$repo/custom_hooks/pre-receive.d" ;;
    gitea) dir="$repo/hooks/pre-receive.d" ;;
    esac
    mkdir -p -- "$dir" || die "cannot create $dir"
    if [ -e "$dir/freight-guard" ] && ! is_wrapper "$dir/freight-guard"; then
        die "refusing to replace $dir/freight-guard: it is not a freight-guard hook"
    fi
    write_wrapper pre-receive "$dir" freight-guard
    say "installed the pre-receive hook: $dir/freight-guard ($layout layout)"
    say_hook_settings
    say "the hook runs $BIN (unless FREIGHT_GUARD_BIN or a freight-guard on PATH comes first)"
}

# install_hooks REPO: install the wrappers into REPO's hooks directory (see usage).
install_hooks() {
    local repo=$1 bare hooks_dir name target
    local -a names actions
    [ -d "$repo" ] || die "no such directory: $repo"
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "not a git repository: $repo"
    repo=$(cd -- "$repo" && pwd -P)
    bare=$(git -C "$repo" rev-parse --is-bare-repository)
    hooks_dir=$(git -C "$repo" rev-parse --git-path hooks)
    case $hooks_dir in
    /*) ;;
    *) hooks_dir="$repo/$hooks_dir" ;;
    esac
    mkdir -p -- "$hooks_dir" || die "cannot create $hooks_dir"
    hooks_dir=$(cd -- "$hooks_dir" && pwd -P)

    if [ "$bare" = true ]; then
        names=(pre-receive)
    else
        names=(pre-commit pre-push)
    fi

    # Decide for every hook before changing anything, so a refusal leaves the repository as
    # it was.
    actions=()
    for name in "${names[@]}"; do
        target="$hooks_dir/$name"
        if [ ! -e "$target" ] && [ ! -L "$target" ]; then
            actions+=(new)
        elif is_wrapper "$target"; then
            actions+=(replace)
        elif [ -e "$target.local" ] || [ -L "$target.local" ]; then
            die "refusing to install the $name hook: $target is not a freight-guard hook and" \
                "$target.local already exists; merge them or move one away, then run again"
        else
            actions+=(chain)
        fi
    done

    local i
    for i in "${!names[@]}"; do
        name=${names[$i]}
        target="$hooks_dir/$name"
        case ${actions[$i]} in
        chain)
            mv -- "$target" "$target.local" || die "cannot move $target to $target.local"
            say "kept the existing $name hook as $target.local; it runs after freight-guard"
            ;;
        esac
        write_wrapper "$name" "$hooks_dir"
        case ${actions[$i]} in
        replace) say "updated the $name hook: $target" ;;
        *) say "installed the $name hook: $target" ;;
        esac
    done
    if [ "$bare" = true ]; then
        # git itself then refuses malformed objects (duplicate tree entries, `.git` names,
        # bad headers) in a push. freight-guard checks them too and does not rely on this.
        git -C "$repo" config receive.fsckObjects true || die "cannot set receive.fsckObjects in $repo"
        say "set receive.fsckObjects=true: git rejects malformed objects in a push as well"
    fi
    say "the hooks run $BIN (unless FREIGHT_GUARD_BIN or a freight-guard on PATH comes first)"
    say_hook_settings
}

# say_hook_settings: what --policy and --deadline wrote into the pre-receive hook.
say_hook_settings() {
    [ -z "$hook_policy" ] || say "the pre-receive hook reads the policy $hook_policy (FREIGHT_GUARD_CONFIG in its environment wins)"
    [ -z "$hook_deadline" ] || say "the pre-receive hook's deadline is $hook_deadline s (FREIGHT_GUARD_DEADLINE in its environment wins)"
}

# --- demo ------------------------------------------------------------------------------------------

heading() {
    printf '\n==> %s\n' "$*"
}

# run_demo: see usage. Runs in a subshell with a hermetic git environment, so the user's git
# configuration (for example a global core.hooksPath) neither changes the outcome nor is changed.
run_demo() {
    local demo
    demo=$(mktemp -d "${TMPDIR:-/tmp}/freight-guard-demo.XXXXXX") || die "cannot create a temporary directory"
    say "demo directory: $demo"
    mkdir -p -- "$demo/home"
    (
        export FG_KEEP_HOME=1 HOME="$demo/home"
        # shellcheck source=fixtures/lib.sh
        . "$ROOT/fixtures/lib.sh"
        # The just-installed binary, whatever else is on PATH.
        export FREIGHT_GUARD_BIN="$BIN"
        work="$demo/work"
        server="$demo/server.git"
        ok=1

        heading "1. A GitOps repository with three releases on main (fixtures/make-gitops.sh)"
        "$ROOT/fixtures/make-gitops.sh" "$work"
        git -C "$work" log --format='   %h %s' main

        heading "2. A server: bare clone server.git, guarded by the pre-receive hook"
        git clone -q --bare "$work" "$server"
        install_hooks "$server"
        git -C "$work" remote add origin "$server"

        # expect accepted|rejected WHAT REFSPEC...: push to the server and check the verdict.
        expect() {
            local want=$1 what=$2 out rc
            shift 2
            set +e
            out=$(git -C "$work" push origin "$@" 2>&1)
            rc=$?
            set -e
            printf '%s\n' "$out"
            if [ "$want" = accepted ] && [ "$rc" -eq 0 ]; then
                say "   -> ACCEPTED, as expected"
            elif [ "$want" = rejected ] && [ "$rc" -ne 0 ] &&
                case $out in *'pre-receive hook declined'*) true ;; *) false ;; esac; then
                say "   -> REJECTED by the pre-receive hook, as expected"
            else
                say "   -> git push exited $rc, but $what: UNEXPECTED"
                ok=0
            fi
        }

        heading "3. Push a valid release (expected: ACCEPTED)"
        "$ROOT/fixtures/break.sh" valid "$work"
        accepted=$(git -C "$work" rev-parse HEAD)
        git -C "$work" log -1 --format='   %h %s' HEAD
        expect accepted "the release is valid" main

        heading "4. Push a release whose current/ differs from its release directory (expected: REJECTED)"
        "$ROOT/fixtures/break.sh" mirror-mismatch "$work"
        git -C "$work" log -1 --format='   %h %s' HEAD
        expect rejected "current/ does not mirror its release" main

        heading "5. The server's main still points at the accepted release"
        server_main=$(git -C "$server" rev-parse --verify -q refs/heads/main || true)
        say "   server main: ${server_main:-<missing>}"
        say "   accepted:    $accepted"
        if [ "$server_main" = "$accepted" ]; then
            say "   -> as expected"
        else
            say "   -> UNEXPECTED"
            ok=0
        fi

        heading "6. Kargo creates stage/staging with its empty 'Initial commit' (expected: ACCEPTED)"
        git -C "$work" reset -q --hard "$accepted"
        "$ROOT/fixtures/kargo.sh" init "$work" stage/staging >/dev/null
        git -C "$work" log -1 --format='   %h %an: %s' stage/staging
        expect accepted "Kargo's branch creation is valid" stage/staging

        heading "7. Kargo renders stage/staging from the current freight (expected: ACCEPTED)"
        "$ROOT/fixtures/kargo.sh" render "$work" stage/staging >/dev/null
        git -C "$work" log -1 --format='   %h %an: %s' stage/staging
        expect accepted "Kargo's render is valid" stage/staging

        heading "8. A person commits to stage/staging by hand (expected: REJECTED)"
        "$ROOT/fixtures/kargo.sh" render "$work" stage/staging \
            --identity 'Platform Engineer <platform@example.com>' >/dev/null
        git -C "$work" log -1 --format='   %h %an: %s' stage/staging
        expect rejected "only the renderer may write stage branches" stage/staging

        echo
        if [ "$ok" = 1 ]; then
            say "DEMO PASSED: freight-guard accepted the valid release, Kargo's creation of stage/staging and its render, and rejected the broken release and the hand-made stage commit."
        else
            say "DEMO FAILED: see the output above."
        fi
        say "demo directory: $demo (remove it with: rm -rf '$demo')"
        [ "$ok" = 1 ]
    )
}

# --- main --------------------------------------------------------------------------------------------

resolve_binary
case $mode in
binary) ;;
hooks)
    if [ "$layout" = plain ]; then
        install_hooks "$hooks_repo"
    else
        install_forge_hook "$hooks_repo" "$layout"
    fi
    ;;
demo) run_demo ;;
esac
