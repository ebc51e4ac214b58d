//! The hermetic test environment: real `git`, the fixture scripts, the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_freight-guard");

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary directory with a private HOME; every command runs without user or system git
/// configuration and with fixed identities and dates.
pub struct Env {
    pub dir: tempfile::TempDir,
}

/// What a command printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "command failed:\n{}", self.all());
        self
    }

    /// No panic, whatever the verdict.
    pub fn no_panic(&self) {
        assert!(!self.all().contains("panicked"), "panic:\n{}", self.all());
        assert_ne!(self.code, 101, "panic exit:\n{}", self.all());
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        Env { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command with a clean, hermetic environment.
    pub fn cmd(&self, program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path().join("home"))
            .env("LANG", "C")
            .env("TZ", "UTC")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Platform Engineer")
            .env("GIT_AUTHOR_EMAIL", "platform@example.com")
            .env("GIT_COMMITTER_NAME", "Platform Engineer")
            .env("GIT_COMMITTER_EMAIL", "platform@example.com")
            .env("GIT_AUTHOR_DATE", "2026-04-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-04-01T12:00:00Z")
            .env("FREIGHT_GUARD_BIN", BIN)
            // A loaded 2-core CI machine running debug binaries in parallel can take longer
            // than the hooks' 4.5 s default; the deadline tests set their own.
            .env("FREIGHT_GUARD_DEADLINE", "600")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, mut c: Command) -> Run {
        Run::from(c.output().expect("spawn"))
    }

    pub fn git(&self, cwd: &Path, args: &[&str]) -> Run {
        let mut c = self.cmd("git", cwd);
        c.args(args);
        self.run(c)
    }

    /// The real binary with `args`, in `cwd`, with `stdin`.
    pub fn fg(&self, cwd: &Path, args: &[&str], stdin: &str) -> Run {
        let mut c = self.cmd(BIN, cwd);
        c.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn freight-guard");
        {
            use std::io::Write;
            let mut input = child.stdin.take().expect("stdin");
            let _ = input.write_all(stdin.as_bytes());
        }
        Run::from(child.wait_with_output().expect("wait"))
    }

    /// `fixtures/make-gitops.sh` into `name`, with extra arguments.
    pub fn gitops(&self, name: &str, args: &[&str]) -> PathBuf {
        let dir = self.path().join(name);
        let mut c = self.cmd("bash", self.path());
        c.arg(root().join("fixtures/make-gitops.sh"))
            .arg(&dir)
            .args(args);
        self.run(c).ok();
        dir
    }

    /// `fixtures/break.sh CASE DIR`: one commit on the checked-out branch.
    pub fn breaks(&self, case: &str, work: &Path) {
        let mut c = self.cmd("bash", self.path());
        c.arg(root().join("fixtures/break.sh")).arg(case).arg(work);
        self.run(c).ok();
    }

    /// A bare clone of `work` at `server.git`, with no hook installed.
    pub fn bare_clone(&self, work: &Path) -> PathBuf {
        let server = self.path().join("server.git");
        self.git(
            self.path(),
            &[
                "clone",
                "-q",
                "--bare",
                work.to_str().expect("utf-8"),
                server.to_str().expect("utf-8"),
            ],
        )
        .ok();
        server
    }

    /// A bare server cloned from `work` with the pre-receive wrapper from `hooks/` installed,
    /// and `work` given a remote `origin` pointing at it.
    pub fn server(&self, work: &Path) -> PathBuf {
        let server = self.bare_clone(work);
        install_hook(&server.join("hooks"), "pre-receive");
        self.git(
            work,
            &["remote", "add", "origin", server.to_str().expect("utf-8")],
        )
        .ok();
        self.git(work, &["fetch", "-q", "origin"]).ok();
        server
    }

    pub fn push(&self, work: &Path, args: &[&str]) -> Run {
        self.push_env(work, args, &[])
    }

    /// `git push origin ARGS` with extra environment variables, which reach the server's hook
    /// (as a hosting platform's pusher variables would).
    pub fn push_env(&self, work: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut c = self.cmd("git", work);
        c.arg("push").arg("origin").args(args);
        for (k, v) in vars {
            c.env(k, v);
        }
        self.run(c)
    }

    /// `fixtures/kargo.sh ARGS` (see its header); returns what it printed, trimmed.
    pub fn kargo(&self, args: &[&str]) -> String {
        self.kargo_env(args, &[])
    }

    /// `fixtures/kargo.sh ARGS` with extra environment variables (e.g. `FG_SIGN_KEY`).
    pub fn kargo_env(&self, args: &[&str], vars: &[(&str, &str)]) -> String {
        let mut c = self.cmd("bash", self.path());
        c.arg(root().join("fixtures/kargo.sh")).args(args);
        for (k, v) in vars {
            c.env(k, v);
        }
        self.run(c).ok().stdout.trim().to_string()
    }

    /// What Kargo does for a Stage whose branch does not exist (git-clone `create: true`):
    /// `kargo.sh init` and the push of that one `Initial commit`, which must be accepted.
    /// Returns the commit.
    pub fn kargo_create(&self, work: &Path, branch: &str) -> String {
        self.kargo_create_env(work, branch, &[])
    }

    /// [`Env::kargo_create`] with extra variables for `kargo.sh` and the push.
    pub fn kargo_create_env(&self, work: &Path, branch: &str, vars: &[(&str, &str)]) -> String {
        let id = self.kargo_env(&["init", work.to_str().expect("utf-8"), branch], vars);
        let run = self.push_env(work, &[branch], vars);
        assert_eq!(
            run.code,
            0,
            "Kargo's Initial commit on {branch} was refused:\n{}",
            run.all()
        );
        id
    }

    /// The revision of the release that `current/` of warehouse codeai mirrors at `commit`.
    pub fn current_revision(&self, work: &Path, commit: &str) -> String {
        self.git(
            work,
            &[
                "show",
                &format!("{commit}:warehouses/codeai/freight/current/freight.yaml"),
            ],
        )
        .ok()
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("revision: "))
        .expect("revision")
        .trim()
        .to_string()
    }

    pub fn rev(&self, dir: &Path, rev: &str) -> String {
        self.git(dir, &["rev-parse", rev])
            .ok()
            .stdout
            .trim()
            .to_string()
    }

    /// Every ref and every object of a repository, to show that a rejected push left no trace.
    pub fn state(&self, repo: &Path) -> String {
        let refs = self
            .git(repo, &["for-each-ref", "--format=%(refname) %(objectname)"])
            .ok()
            .stdout;
        let objects = self
            .git(repo, &["cat-file", "--batch-all-objects", "--batch-check"])
            .ok()
            .stdout;
        format!("{refs}\n{objects}")
    }

    /// Append a line to a file (e.g. a hand edit of `current/`).
    pub fn append(&self, path: &Path, line: &str) {
        let mut text = std::fs::read_to_string(path).expect("read");
        text.push_str(line);
        std::fs::write(path, text).expect("write");
    }

    pub fn write(&self, path: &Path, content: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
    }
}

/// The server's pre-receive hook declined the push, naming `rule`.
pub fn assert_declined(run: &Run, rule: &str, what: &str) {
    assert_ne!(run.code, 0, "{what}: accepted:\n{}", run.all());
    assert!(
        run.stderr.contains(rule),
        "{what}: {rule} not named:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pre-receive hook declined"),
        "{what}:\n{}",
        run.stderr
    );
}

/// Copy a wrapper from `hooks/` into a hooks directory.
pub fn install_hook(hooks_dir: &Path, name: &str) {
    std::fs::create_dir_all(hooks_dir).expect("hooks dir");
    let dest = hooks_dir.join(name);
    std::fs::copy(root().join("hooks").join(name), &dest).expect("copy hook");
    make_executable(&dest);
}

pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Pin what a person reads for `rule` (a snapshot in tests/it/snapshots/human-RULE.snap):
/// freight-guard's lines of `stderr` (relayed by git as `remote: ...` in a push), with what
/// changes from run to run (temporary paths, object ids, key fingerprints) replaced.
pub fn assert_human(rule: &str, stderr: &str) {
    let ids = regex::Regex::new(r"\b(?:[0-9a-f]{64}|[0-9a-f]{40})\b").expect("regex");
    let ssh = regex::Regex::new(r"SHA256:[A-Za-z0-9+/]{43}").expect("regex");
    let pgp = regex::Regex::new(r"\b[0-9A-F]{16}\b|\b[0-9A-F]{40}\b").expect("regex");
    let tmp = regex::Regex::new(r"/[^\s'`]*/\.tmp[A-Za-z0-9]+").expect("regex");
    let pushed = stderr.lines().any(|l| l.starts_with("remote: "));
    let lines: Vec<String> = stderr
        .lines()
        .filter_map(|l| {
            if pushed {
                l.strip_prefix("remote:")
                    .map(|rest| rest.strip_prefix(' ').unwrap_or(rest))
            } else {
                Some(l)
            }
        })
        .map(|l| {
            let l = tmp.replace_all(l.trim_end(), "[TMP]");
            let l = ids.replace_all(&l, "<id>");
            let l = ssh.replace_all(&l, "SHA256:<fingerprint>");
            pgp.replace_all(&l, "<key>").into_owned()
        })
        .collect();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(root().join("tests/it/snapshots"));
    settings.bind(|| insta::assert_snapshot!(format!("human-{rule}"), lines.join("\n")));
}
