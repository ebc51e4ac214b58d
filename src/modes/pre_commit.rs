//! `pre-commit`: the staged index as the commit about to be made (or, with nothing staged, the
//! whole tree); `pre-commit --worktree`: the snapshot directories on disk.

use std::path::{Path, PathBuf};

use gix::ObjectId;

use super::session::{self, Failure};
use crate::cli::Cli;
use crate::contracts::snapshot::disk;
use crate::engine::Engine;
use crate::outcome::Outcome;

pub fn run(cli: &Cli) -> Result<Outcome, Failure> {
    let repo = session::open_repo(cli)?;
    let head = repo.resolve("HEAD");
    let policy = session::policy(cli, Some(&repo), head.map(|h| (h, "HEAD")))?;
    let index_path = match std::env::var_os("GIT_INDEX_FILE") {
        Some(p) => {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                repo.workdir().map_or_else(|| p.clone(), |w| w.join(&p))
            }
        }
        None => repo.git_dir().join("index"),
    };
    let tree = crate::git::index::staged_tree(&repo, &index_path)?;
    let mut parents: Vec<ObjectId> = head.into_iter().collect();
    if let Ok(text) = std::fs::read_to_string(repo.git_dir().join("MERGE_HEAD")) {
        parents.extend(text.lines().filter_map(|l| repo.parse_id(l.trim())));
    }
    let head_tree = match head {
        Some(h) => Some(repo.commit(&h)?.tree),
        None => None,
    };
    // Nothing staged (`pre-commit run --all-files` in CI, on a detached HEAD or a pull
    // request's branch): the whole tree that would be committed is judged as the snapshot
    // branch would judge it, so a `current/` that does not mirror its release fails.
    let nothing_staged = parents.len() <= 1 && head_tree == Some(tree);
    let mut engine = Engine::new(&repo, &policy);
    let first_snapshot = policy.snapshot.first_branch();
    let (branch, subject) = match repo.head_branch() {
        Some(b) if engine.is_snapshot_branch(&b) || !nothing_staged => {
            let subject = format!("staged changes on {b}");
            (b, subject)
        }
        Some(b) => {
            let subject =
                format!("the tree of {b} (nothing staged), as if committed to {first_snapshot}");
            (first_snapshot, subject)
        }
        None if nothing_staged => (
            first_snapshot.clone(),
            format!(
                "the tree of the detached HEAD (nothing staged), as if committed to {first_snapshot}"
            ),
        ),
        None => (
            first_snapshot.clone(),
            format!("staged changes on a detached HEAD, as if committed to {first_snapshot}"),
        ),
    };
    let extra = match engine.judge_tree(&branch, tree, &parents) {
        Ok(()) => Vec::new(),
        Err(stop) => vec![session::stopped(stop)],
    };
    Ok(session::finish(&policy, engine, extra, subject))
}

/// `--worktree`: the freight roots as they are on disk, before anything is staged.
pub fn worktree(cli: &Cli) -> Result<Outcome, Failure> {
    let repo = session::open_repo(cli)?;
    let workdir = repo
        .workdir()
        .map(Path::to_path_buf)
        .ok_or_else(|| Failure::input("--worktree needs a repository with a work tree"))?;
    let head = repo.resolve("HEAD");
    let policy = session::policy(cli, Some(&repo), head.map(|h| (h, "HEAD")))?;
    let (roots, findings) = disk::check(&workdir, &policy.snapshot);
    let engine = Engine::new(&repo, &policy);
    Ok(session::finish(
        &policy,
        engine,
        findings,
        format!("{roots} freight root(s) on disk"),
    ))
}
