//! `pre-receive`: the server hook. Every ref update on stdin, with the pushed objects read from
//! git's quarantine; the policy from the default branch before the push.

use std::path::Path;
use std::time::Instant;

use super::session::{self, Failure, Judgement};
use super::{hook_input, platform};
use crate::cli::Cli;
use crate::outcome::Outcome;
use crate::policy::load::LoadError;
use crate::policy::{POLICY_FILE, Problem};
use crate::push::{PusherCheck, RefView};

pub fn run(cli: &Cli, deadline: f64) -> Result<Outcome, Failure> {
    let start = Instant::now();
    let input = hook_input::read_stdin()?;
    let mut repo = session::open_repo(cli)?;
    let quarantine = std::env::var_os("GIT_QUARANTINE_PATH")
        .or_else(|| std::env::var_os("GIT_OBJECT_DIRECTORY"));
    if let Some(dir) = quarantine {
        repo.add_quarantine(Path::new(&dir))?;
    }
    let mut updates = hook_input::pre_receive(&repo, &input)?;
    // A push to a symbolic ref writes through to its target: judge the ref git writes.
    for update in &mut updates {
        update.name = repo.written_ref(&update.name)?;
    }
    let default = session::default_branch(&repo);
    let trusted = repo.ref_target(&default)?;
    if trusted.is_none() && cli.config.is_none() {
        // `HEAD` names a branch that does not exist (a bare `git init` leaves `master`) while
        // others do: the policy committed on them would be ignored, and whoever creates that
        // branch would install the policy for every later push. Only an empty repository
        // (the first push) is judged by the built-in defaults.
        let branches = repo.refs_with_prefix("refs/heads/")?;
        if !branches.is_empty() {
            let mut names: Vec<String> = branches.into_iter().map(|(n, _)| n).collect();
            names.sort();
            let shown = names.len().min(5);
            let more = if names.len() > shown {
                format!(" and {} more", names.len() - shown)
            } else {
                String::new()
            };
            return Err(Failure::Policy(LoadError::Invalid {
                origin: "HEAD".to_string(),
                problems: vec![Problem {
                    line: 0,
                    message: format!(
                        "`HEAD` names `{default}`, which does not exist, while other branches do ({}{more}): the trusted policy (`{POLICY_FILE}` on the default branch) cannot be read. Set `HEAD` to the default branch (`git symbolic-ref HEAD refs/heads/main` in the server repository, or the forge's default-branch setting), or give the policy with `FREIGHT_GUARD_CONFIG`",
                        names[..shown].join(", ")
                    ),
                }],
            }));
        }
    }
    let policy = session::policy(cli, Some(&repo), trusted.map(|t| (t, default.as_str())))?;
    let subject = format!("push of {} ref(s)", updates.len());
    let mut judgement = Judgement::new(updates, RefView::Heads, subject);
    judgement.deadline = Some((start, deadline));
    judgement.default_branch = Some(default);
    judgement.pusher = PusherCheck::Server(platform::pusher());
    judgement.forge_merge = Some(platform::forge_merge());
    Ok(session::judge(cli, &repo, &policy, judgement))
}
