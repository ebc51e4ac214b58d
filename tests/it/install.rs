//! `install.sh --hooks`: installs the wrappers, chains an existing hook, refuses to clobber.

use std::path::Path;

use crate::support::{Env, make_executable, root};

fn install(env: &Env, repo: &Path) -> crate::support::Run {
    let mut c = env.cmd("bash", env.path());
    c.arg(root().join("install.sh"))
        .args(["--no-build", "--hooks"])
        .arg(repo)
        .env("PREFIX", env.path().join("prefix"));
    env.run(c)
}

fn write_hook(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("hook");
    make_executable(path);
}

#[test]
fn bare_repository_gets_pre_receive_and_an_existing_hook_is_chained() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.bare_clone(&work);
    let marker = env.path().join("local-hook-ran");
    write_hook(
        &server.join("hooks/pre-receive"),
        &format!("cat >> '{}'", marker.display()),
    );

    let run = install(&env, &server).ok();
    assert!(
        server.join("hooks/pre-receive.local").exists(),
        "{}",
        run.all()
    );
    // git itself refuses malformed objects too.
    let fsck = env
        .git(&server, &["config", "receive.fsckObjects"])
        .ok()
        .stdout;
    assert_eq!(fsck.trim(), "true", "{}", run.all());
    let installed = std::fs::read_to_string(server.join("hooks/pre-receive")).expect("hook");
    assert!(installed.contains("freight-guard"));
    // Installing again replaces the wrapper and keeps the chained hook.
    install(&env, &server).ok();
    assert!(server.join("hooks/pre-receive.local").exists());

    env.git(
        &work,
        &["remote", "add", "origin", server.to_str().expect("utf-8")],
    )
    .ok();
    env.git(&work, &["fetch", "-q", "origin"]).ok();
    env.breaks("mirror-mismatch", &work);
    let run = env.push(&work, &["HEAD:main"]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("mirror-mismatch"));
    assert!(
        !marker.exists(),
        "the chained hook runs only after freight-guard accepted"
    );

    env.git(&work, &["reset", "-q", "--hard", "HEAD~1"]).ok();
    env.breaks("valid", &work);
    env.push(&work, &["HEAD:main"]).ok();
    let seen = std::fs::read_to_string(&marker).expect("chained hook ran");
    assert!(
        seen.contains("refs/heads/main"),
        "the chained hook got the same stdin: {seen}"
    );
}

#[test]
fn a_failing_chained_hook_rejects_the_push() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.bare_clone(&work);
    write_hook(
        &server.join("hooks/pre-receive"),
        "echo 'local policy says no' >&2; exit 1",
    );
    install(&env, &server).ok();
    env.git(
        &work,
        &["remote", "add", "origin", server.to_str().expect("utf-8")],
    )
    .ok();
    env.breaks("valid", &work);
    let run = env.push(&work, &["HEAD:main"]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("local policy says no"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_existing_hook_and_local_hook_make_install_refuse() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.bare_clone(&work);
    write_hook(&server.join("hooks/pre-receive"), "exit 0");
    write_hook(&server.join("hooks/pre-receive.local"), "exit 0");
    let run = install(&env, &server);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(
        std::fs::read_to_string(server.join("hooks/pre-receive")).expect("hook"),
        "#!/bin/sh\nexit 0\n"
    );
}

#[test]
fn work_tree_gets_pre_commit_and_pre_push() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    install(&env, &work).ok();
    assert!(work.join(".git/hooks/pre-commit").exists());
    assert!(work.join(".git/hooks/pre-push").exists());
    assert!(!work.join(".git/hooks/pre-receive").exists());
}

#[test]
fn the_hook_keeps_the_policy_and_deadline_it_was_installed_with() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    let server = env.bare_clone(&work);
    let policy = env.path().join("server-policy.yaml");
    std::fs::write(&policy, "rules:\n  mirror-mismatch: warn\n").expect("policy");
    let install_with = |extra: &[&str]| {
        let mut c = env.cmd("bash", env.path());
        c.arg(root().join("install.sh"))
            .args(["--no-build", "--hooks"])
            .arg(&server)
            .args(extra)
            .env("PREFIX", env.path().join("prefix"));
        env.run(c)
    };
    let policy_arg = policy.to_str().expect("utf-8");
    let run = install_with(&["--policy", policy_arg, "--deadline", "0.000001"]).ok();
    assert!(run.stdout.contains("reads the policy"), "{}", run.all());
    env.git(
        &work,
        &["remote", "add", "origin", server.to_str().expect("utf-8")],
    )
    .ok();
    env.git(&work, &["fetch", "-q", "origin"]).ok();
    env.breaks("mirror-mismatch", &work);
    // The hook's environment sets no deadline: the installed one (a microsecond) applies.
    let run = env.push_env(&work, &["HEAD:main"], &[("FREIGHT_GUARD_DEADLINE", "")]);
    crate::support::assert_declined(&run, "deadline-exceeded", "the installed deadline");
    // Installed again with the policy alone: mirror-mismatch only warns under it.
    install_with(&["--policy", policy_arg]).ok();
    let run = env.push(&work, &["HEAD:main"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("mirror-mismatch"), "{}", run.stderr);
    // Bad values are refused before anything is installed.
    let run = install_with(&["--deadline", "soon"]);
    assert_eq!(run.code, 2, "{}", run.all());
    let run = install_with(&["--policy", "/nonexistent.yaml"]);
    assert_eq!(run.code, 2, "{}", run.all());
}

#[test]
fn install_puts_the_binary_its_man_page_and_completions_under_the_prefix() {
    let env = Env::new();
    // A built binary where `--no-build` looks for one.
    let target = env.path().join("target/release");
    std::fs::create_dir_all(&target).expect("mkdir");
    std::fs::copy(crate::support::BIN, target.join("freight-guard")).expect("copy");
    let prefix = env.path().join("prefix");
    let mut c = env.cmd("bash", env.path());
    c.arg(root().join("install.sh"))
        .arg("--no-build")
        .env_remove("FREIGHT_GUARD_BIN")
        .env("CARGO_TARGET_DIR", env.path().join("target"))
        .env("PREFIX", &prefix);
    let run = env.run(c).ok();
    assert!(run.stdout.contains("man page"), "{}", run.all());
    let read = |p: &str| std::fs::read_to_string(prefix.join(p)).unwrap_or_else(|_| panic!("{p}"));
    assert!(read("share/man/man1/freight-guard.1").contains(".TH freight-guard 1"));
    assert!(read("share/bash-completion/completions/freight-guard").contains("freight__guard"));
    assert!(read("share/zsh/site-functions/_freight-guard").contains("#compdef freight-guard"));
    assert!(
        read("share/fish/vendor_completions.d/freight-guard.fish")
            .contains("complete -c freight-guard")
    );
    // --version names the version and the commit it was built from.
    let version = env.fg(env.path(), &["--version"], "").ok().stdout;
    assert!(
        version.starts_with(&format!(
            "freight-guard {} (commit ",
            env!("CARGO_PKG_VERSION")
        )),
        "{version}"
    );
}

#[test]
fn the_hook_runs_in_an_otherwise_empty_root() {
    let env = Env::new();
    let work = env.gitops("work", &[]);
    // The environment as GitHub Enterprise Server gets it: a tarball made without Docker.
    // `FREIGHT_GUARD_STATIC_BIN` (a release build with a static glibc) is used when given;
    // otherwise the test binary, with the libraries it loads.
    let binary = std::env::var("FREIGHT_GUARD_STATIC_BIN")
        .unwrap_or_else(|_| crate::support::BIN.to_string());
    let tarball = env.path().join("freight-guard-env.tar.gz");
    let mut c = env.cmd("bash", env.path());
    c.arg(root().join("hooks/ghes/make-environment.sh"))
        .arg(&binary)
        .arg(&tarball);
    env.run(c).ok();
    let sandbox = env.path().join("sandbox");
    std::fs::create_dir_all(&sandbox).expect("mkdir");
    let mut c = env.cmd("tar", &sandbox);
    c.arg("-xzf").arg(&tarball);
    env.run(c).ok();
    // Nothing but the binary, the shell (and, for a dynamic binary, their libraries), /tmp.
    assert!(sandbox.join("usr/local/bin/freight-guard").exists());
    assert!(sandbox.join("bin/sh").exists());
    assert!(!sandbox.join("usr/bin/git").exists() && !sandbox.join("bin/git").exists());
    if std::env::var("FREIGHT_GUARD_STATIC_BIN").is_ok() {
        // A static binary runs in a root that holds nothing else at all.
        let bare_root = env.path().join("bare-root");
        std::fs::create_dir_all(&bare_root).expect("mkdir");
        std::fs::copy(&binary, bare_root.join("freight-guard")).expect("copy");
        assert_eq!(walk(&bare_root), ["freight-guard"]);
        let mut c = env.cmd("/usr/sbin/chroot", env.path());
        c.arg(&bare_root).args(["/freight-guard", "--version"]);
        let run = env.run(c).ok();
        assert!(run.stdout.starts_with("freight-guard "), "{}", run.all());
    }
    // The hook script and the repository inside the root; the server's hook runs the script
    // there, with git's paths made relative to the new root.
    std::fs::create_dir_all(sandbox.join("ghes")).expect("mkdir");
    std::fs::copy(
        root().join("hooks/ghes/freight-guard.sh"),
        sandbox.join("ghes/freight-guard.sh"),
    )
    .expect("script");
    let server = sandbox.join("repo.git");
    env.git(
        env.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().expect("utf-8"),
            server.to_str().expect("utf-8"),
        ],
    )
    .ok();
    let root_dir = sandbox.to_str().expect("utf-8");
    let hook = format!(
        r#"#!/bin/sh
root='{root_dir}'
inside() {{ printf '%s' "$1" | sed "s|^$root||; s|:$root|:|g"; }}
GIT_DIR=/repo.git
[ -z "${{GIT_OBJECT_DIRECTORY:-}}" ] || GIT_OBJECT_DIRECTORY=$(inside "$GIT_OBJECT_DIRECTORY")
[ -z "${{GIT_ALTERNATE_OBJECT_DIRECTORIES:-}}" ] || GIT_ALTERNATE_OBJECT_DIRECTORIES=$(inside "$GIT_ALTERNATE_OBJECT_DIRECTORIES")
[ -z "${{GIT_QUARANTINE_PATH:-}}" ] || GIT_QUARANTINE_PATH=$(inside "$GIT_QUARANTINE_PATH")
export GIT_DIR GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_QUARANTINE_PATH
unset FREIGHT_GUARD_BIN
for c in /usr/sbin/chroot /sbin/chroot /usr/bin/chroot; do [ -x "$c" ] && chroot=$c && break; done
for u in /usr/bin/unshare /bin/unshare; do [ -x "$u" ] && unshare=$u && break; done
PATH=/usr/local/bin:/bin
export PATH
if [ "$(id -u)" = 0 ]; then
    exec "$chroot" "$root" /bin/sh /ghes/freight-guard.sh
fi
exec "$unshare" -r "$chroot" "$root" /bin/sh /ghes/freight-guard.sh
"#
    );
    let hook_path = server.join("hooks/pre-receive");
    std::fs::write(&hook_path, hook).expect("hook");
    make_executable(&hook_path);
    env.git(
        &work,
        &["remote", "add", "origin", server.to_str().expect("utf-8")],
    )
    .ok();
    env.breaks("valid", &work);
    let run = env.push(&work, &["HEAD:main"]).ok();
    assert!(run.stderr.contains("freight-guard: ok"), "{}", run.stderr);
    env.breaks("mirror-mismatch", &work);
    let before = env.rev(&server, "main");
    let run = env.push(&work, &["HEAD:main"]);
    crate::support::assert_declined(
        &run,
        "mirror-mismatch",
        "a broken release through the sandbox",
    );
    assert_eq!(env.rev(&server, "main"), before);
}

/// Every file below `dir`, as paths relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap_or(&p).display().to_string());
            }
        }
    }
    out
}
