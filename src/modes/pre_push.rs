//! `pre-push` (git's local hook) and the pre-commit framework's `hook`: what a push is about to
//! send, judged as the remote would judge it, under the remote's default branch's policy.

use std::time::Instant;

use super::hook_input;
use super::session::{self, Failure, Judgement};
use crate::cli::Cli;
use crate::git::repo::Repo;
use crate::outcome::Outcome;
use crate::push::RefView;

pub fn run(cli: &Cli, remote: &str, deadline: f64) -> Result<Outcome, Failure> {
    let start = Instant::now();
    let input = hook_input::read_stdin()?;
    let repo = session::open_repo(cli)?;
    lines(cli, &repo, remote, deadline, start, &input)
}

/// The pre-commit framework's hook: its pre-push stage passes what git gave its pre-push hook
/// in variables (and nothing on stdin); any other stage judges the staged index.
pub fn framework(cli: &Cli, deadline: f64) -> Result<Outcome, Failure> {
    let start = Instant::now();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(to) = var("PRE_COMMIT_TO_REF") else {
        return super::pre_commit::run(cli);
    };
    let (Some(remote), Some(remote_ref)) = (
        var("PRE_COMMIT_REMOTE_NAME"),
        var("PRE_COMMIT_REMOTE_BRANCH"),
    ) else {
        // `pre-commit run --from-ref A --to-ref B` outside a push: the commits A..B, as if
        // they landed on the snapshot branch.
        return match var("PRE_COMMIT_FROM_REF") {
            Some(from) => super::check::run(cli, &from, &to, None),
            None => Err(Failure::input(
                "PRE_COMMIT_TO_REF is set but PRE_COMMIT_FROM_REF is not",
            )),
        };
    };
    let local_ref = var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| "HEAD".into());
    // The remote's tip as last fetched: for a new branch pre-commit's PRE_COMMIT_FROM_REF is
    // where the pushed commits start, not what the remote has.
    let repo = session::open_repo(cli)?;
    let short = remote_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&remote_ref);
    let old = repo
        .resolve(&format!("refs/remotes/{remote}/{short}"))
        .unwrap_or_else(|| repo.null_id());
    let line = format!("{local_ref} {to} {remote_ref} {old}\n");
    lines(cli, &repo, &remote, deadline, start, &line)
}

/// `pre-push` on git's pre-push lines, already read.
fn lines(
    cli: &Cli,
    repo: &Repo,
    remote: &str,
    deadline: f64,
    start: Instant,
    input: &str,
) -> Result<Outcome, Failure> {
    let updates = hook_input::pre_push(repo, input)?;
    for u in &updates {
        if let Some(old) = u.old
            && !repo.has_object(&old)
        {
            return Err(crate::git::repo::ReadError::NotFetched {
                name: u.name.clone(),
                tip: old,
                remote: remote.to_string(),
            }
            .into());
        }
    }
    // The trusted policy: the remote's default branch as last fetched, else HEAD.
    let remote_head = format!("refs/remotes/{remote}/HEAD");
    let (trusted_ref, default) = match repo.repo.try_find_reference(remote_head.as_str()) {
        Ok(Some(r)) => {
            let target = r.target().try_name().map(|n| n.as_bstr().to_string());
            let short = target
                .as_deref()
                .and_then(|t| t.strip_prefix(&format!("refs/remotes/{remote}/")))
                .unwrap_or("main")
                .to_string();
            (remote_head.clone(), format!("refs/heads/{short}"))
        }
        _ => {
            let main = format!("refs/remotes/{remote}/main");
            if matches!(repo.ref_target(&main), Ok(Some(_))) {
                (main, "refs/heads/main".to_string())
            } else {
                ("HEAD".to_string(), session::default_branch(repo))
            }
        }
    };
    let trusted = repo.resolve(&trusted_ref);
    let policy = session::policy(cli, Some(repo), trusted.map(|t| (t, trusted_ref.as_str())))?;
    let subject = format!("push of {} ref(s) to {remote}", updates.len());
    let mut judgement = Judgement::new(updates, RefView::Remote(remote.to_string()), subject);
    judgement.deadline = Some((start, deadline));
    judgement.default_branch = Some(default);
    Ok(session::judge(cli, repo, &policy, judgement))
}
