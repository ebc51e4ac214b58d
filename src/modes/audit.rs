//! `audit [--ref PATTERN]...`: every commit of the guarded branches (or of the named ones), as
//! if each branch were created with its whole history, under the policy at `HEAD`.

use super::session::{self, Failure, Judgement};
use crate::cli::Cli;
use crate::engine::Engine;
use crate::outcome::Outcome;
use crate::push::{RefUpdate, RefView};
use crate::report;

pub fn run(cli: &Cli, patterns: &[String]) -> Result<Outcome, Failure> {
    let repo = session::open_repo(cli)?;
    let head = repo.resolve("HEAD");
    let policy = session::policy(cli, Some(&repo), head.map(|h| (h, "HEAD")))?;
    let matchers: Vec<globset::GlobMatcher> = patterns
        .iter()
        .map(|p| {
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .map(|g| g.compile_matcher())
        })
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::input(format!("--ref: {e}")))?;
    let branches = repo.refs_with_prefix("refs/heads/")?;
    // Every guarded branch, or the ones `--ref` names; a named branch that no contract guards
    // is judged as a snapshot branch.
    let probe = Engine::new(&repo, &policy);
    let mut updates = Vec::new();
    let mut explicit = Vec::new();
    let mut used = vec![false; matchers.len()];
    for (name, id) in branches {
        let short = name.trim_start_matches("refs/heads/");
        let wanted = if matchers.is_empty() {
            probe.is_guarded(&name)
        } else {
            let mut any = false;
            for (m, used) in matchers.iter().zip(used.iter_mut()) {
                if m.is_match(short) || m.is_match(&name) {
                    *used = true;
                    any = true;
                }
            }
            any
        };
        if !wanted {
            continue;
        }
        if !probe.is_guarded(&name) {
            explicit.push(name.clone());
        }
        updates.push(RefUpdate {
            name,
            old: None,
            new: Some(id),
        });
    }
    drop(probe);
    // A pattern that names no branch is a mistake (a typo in a CI job), not a clean audit.
    let unmatched: Vec<String> = patterns
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(p, _)| format!("--ref `{p}` matches no branch (refs/heads/*) in this repository"))
        .collect();
    if !unmatched.is_empty() {
        return Err(Failure::Input {
            message: format!(
                "{} --ref pattern(s) match no branch, so nothing they name can be audited",
                unmatched.len()
            ),
            details: unmatched,
        });
    }
    let subject = format!("audit of {} branch(es)", updates.len());
    let count = updates.len();
    let mut judgement = Judgement::new(updates, RefView::All, subject);
    judgement.history = true;
    judgement.snapshot_refs = explicit;
    judgement.progress = report::progress(cli.format, count);
    Ok(session::judge(cli, &repo, &policy, judgement))
}
