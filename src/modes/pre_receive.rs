//! `pre-receive`: the server hook. Every ref update on stdin, with the pushed objects read from
//! git's quarantine; the policy from the default branch before the push.

use std::path::Path;
use std::time::Instant;

use super::session::{self, Failure, Judgement};
use super::{hook_input, platform};
use crate::cli::Cli;
use crate::outcome::Outcome;
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
    let updates = hook_input::pre_receive(&repo, &input)?;
    let default = session::default_branch(&repo);
    let trusted = repo.ref_target(&default)?;
    let policy = session::policy(cli, Some(&repo), trusted.map(|t| (t, default.as_str())))?;
    let subject = format!("push of {} ref(s)", updates.len());
    let mut judgement = Judgement::new(updates, RefView::Heads, subject);
    judgement.deadline = Some((start, deadline));
    judgement.default_branch = Some(default);
    judgement.pusher = PusherCheck::Server(platform::pusher());
    Ok(session::judge(cli, &repo, &policy, judgement))
}
