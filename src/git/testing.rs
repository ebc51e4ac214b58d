//! A scratch repository for unit tests: real `git` in a temporary directory, without user or
//! system configuration, with fixed identities.

use std::path::Path;
use std::process::{Command, Stdio};

use gix::ObjectId;

use crate::git::repo::Repo;

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("temp dir");
        let s = Scratch { dir };
        s.git(&["init", "-q", "--bare", "."], None);
        s
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `git ARGS` in the repository, hermetic, with fixed identities.
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("git");
        c.args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com");
        c
    }

    /// `git ARGS` in the repository with `input` on stdin; its trimmed stdout.
    pub fn git(&self, args: &[&str], input: Option<&[u8]>) -> String {
        let mut c = self.command(args);
        c.stdin(Stdio::piped());
        output(c, input)
    }

    pub fn blob(&self, content: &str) -> String {
        self.git(&["hash-object", "-w", "--stdin"], Some(content.as_bytes()))
    }

    /// A tree of `(mode, kind, id, name)` lines, as `git mktree` reads them.
    pub fn tree(&self, entries: &[(&str, &str, &str, &str)]) -> String {
        let text: String = entries
            .iter()
            .map(|(mode, kind, id, name)| format!("{mode} {kind} {id}\t{name}\n"))
            .collect();
        self.git(&["mktree"], Some(text.as_bytes()))
    }

    /// A commit of `tree` with `parents`, `time` seconds after 2023-11-14.
    pub fn commit(&self, tree: &str, parents: &[&str], time: i64) -> String {
        let date = format!("{} +0000", 1_700_000_000 + time);
        let mut args = vec!["commit-tree", tree];
        for p in parents {
            args.push("-p");
            args.push(p);
        }
        args.extend(["-m", "c"]);
        self.git_dated(&args, &date)
    }

    fn git_dated(&self, args: &[&str], date: &str) -> String {
        let mut c = self.command(args);
        c.env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .stdin(Stdio::piped());
        output(c, None)
    }

    pub fn open(&self) -> Repo {
        Repo::open(self.path()).expect("open")
    }
}

/// Run `c` with `input` on stdin; its trimmed stdout, or a panic naming what git said.
fn output(mut c: Command, input: Option<&[u8]>) -> String {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("git");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        if let Some(input) = input {
            stdin.write_all(input).expect("write");
        }
    }
    let out = child.wait_with_output().expect("git");
    assert!(
        out.status.success(),
        "git: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn id(hex: &str) -> ObjectId {
    ObjectId::from_hex(hex.as_bytes()).expect("hex id")
}
