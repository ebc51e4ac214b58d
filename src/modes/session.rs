//! The pipeline every mode shares: open the repository, load the trusted policy, judge what
//! the mode built with one engine, finish into an outcome. A mode builds only its input.

use std::path::PathBuf;
use std::time::Instant;

use gix::ObjectId;

use crate::cli::Cli;
use crate::engine::{Engine, Stop};
use crate::finding::Finding;
use crate::git::repo::{ReadError, Repo};
use crate::outcome::Outcome;
use crate::policy::Policy;
use crate::policy::load::{self, LoadError};
use crate::push::{PusherCheck, RefUpdate, RefView};
use crate::rules::Rule;

/// Why a mode stopped before judging, converted to an operational finding at the edge.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input: arguments, hook lines, a revision (`input-invalid`).
    #[error("{message}")]
    Input {
        message: String,
        details: Vec<String>,
    },
    /// The repository or an object could not be read (`read-error`).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// No valid policy (`policy-invalid`, or `read-error`).
    #[error(transparent)]
    Policy(#[from] LoadError),
}

impl Failure {
    pub fn input(message: impl Into<String>) -> Failure {
        Failure::Input {
            message: message.into(),
            details: Vec::new(),
        }
    }
}

impl From<Failure> for Outcome {
    fn from(failure: Failure) -> Outcome {
        let finding = match failure {
            Failure::Input { message, details } => {
                Finding::new(Rule::InputInvalid, message).with_details(details)
            }
            Failure::Read(e) => Finding::new(Rule::ReadError, e.to_string()),
            Failure::Policy(e) => e.finding(),
        };
        Outcome {
            findings: vec![finding],
            ..Outcome::default()
        }
    }
}

/// Open the repository: `-C`, else `GIT_DIR` (as in hooks), else the current directory.
pub fn open_repo(cli: &Cli) -> Result<Repo, ReadError> {
    let path = match (&cli.repo, std::env::var_os("GIT_DIR")) {
        (Some(p), _) => p.clone(),
        (None, Some(dir)) => PathBuf::from(dir),
        (None, None) => PathBuf::from("."),
    };
    Repo::open(&path)
}

/// The trusted policy: `--config`, else the policy file at `trusted`, else the defaults.
pub fn policy(
    cli: &Cli,
    repo: Option<&Repo>,
    trusted: Option<(ObjectId, &str)>,
) -> Result<Policy, Failure> {
    Ok(load::load(cli.config.as_deref(), repo, trusted)?)
}

/// The default branch (full name) of the repository: where HEAD points, else `refs/heads/main`.
pub fn default_branch(repo: &Repo) -> String {
    repo.head_branch()
        .unwrap_or_else(|| "refs/heads/main".to_string())
}

/// What a mode asks the engine to judge, and how.
pub struct Judgement {
    pub updates: Vec<RefUpdate>,
    /// Where review, proposal and snapshot branch tips are read.
    pub view: RefView,
    pub pusher: PusherCheck,
    /// A server hook: the platform's word that the forge merged a pull request, if it said so.
    /// `None` outside a server hook.
    pub forge_merge: Option<Option<String>>,
    /// The default branch, whose policy file changes are validated.
    pub default_branch: Option<String>,
    /// When the judging started and how long it may take (hook modes).
    pub deadline: Option<(Instant, f64)>,
    /// Judge whole histories (`audit`).
    pub history: bool,
    /// Refs judged under the snapshot contract whatever their name (`audit --ref`).
    pub snapshot_refs: Vec<String>,
    /// For the summary line.
    pub subject: String,
    /// Draw `audit`'s progress bar.
    pub progress: Option<indicatif::ProgressBar>,
}

impl Judgement {
    pub fn new(updates: Vec<RefUpdate>, view: RefView, subject: String) -> Judgement {
        Judgement {
            updates,
            view,
            pusher: PusherCheck::Off,
            forge_merge: None,
            default_branch: None,
            deadline: None,
            history: false,
            snapshot_refs: Vec::new(),
            subject,
            progress: None,
        }
    }
}

/// Judge every update of `judgement` under `policy` and finish.
pub fn judge(cli: &Cli, repo: &Repo, policy: &Policy, judgement: Judgement) -> Outcome {
    let mut engine = Engine::new(repo, policy)
        .with_default_branch(judgement.default_branch)
        .with_snapshot_refs(judgement.snapshot_refs)
        .with_view(judgement.view, &judgement.updates)
        .with_pusher(judgement.pusher)
        .with_forge_merge(judgement.forge_merge)
        .with_history(judgement.history)
        .with_threads(cli.threads);
    if let Some((start, seconds)) = judgement.deadline {
        engine = engine.with_deadline(start, seconds);
    }
    let mut extra = Vec::new();
    for (i, update) in judgement.updates.iter().enumerate() {
        if let Some(bar) = &judgement.progress {
            bar.set_position(i as u64 + 1);
            bar.set_message(format!(
                "{} ({} commit(s) judged so far)",
                update.name, engine.commits_judged
            ));
        }
        if let Err(stop) = engine.judge(update, &[]) {
            extra.push(stopped(stop).on_ref(update.name.clone()));
            break;
        }
    }
    if let Some(bar) = judgement.progress {
        bar.finish_and_clear();
    }
    finish(policy, engine, extra, judgement.subject)
}

/// The finding for judging that stopped before it finished: nothing unverified is accepted.
pub fn stopped(stop: Stop) -> Finding {
    let rule = match stop {
        Stop::Read(_) => Rule::ReadError,
        Stop::Deadline(_) => Rule::DeadlineExceeded,
    };
    Finding::new(
        rule,
        format!("{stop}; nothing that could not be verified is accepted"),
    )
}

/// The outcome of a run: the policy's warnings, the engine's findings and `extra`, with the
/// policy's severities applied.
pub fn finish(
    policy: &Policy,
    engine: Engine<'_>,
    extra: Vec<Finding>,
    subject: String,
) -> Outcome {
    let commits_judged = engine.commits_judged;
    let mut findings: Vec<Finding> = policy
        .warnings()
        .into_iter()
        .map(|message| Finding::new(Rule::PolicyWarning, message))
        .collect();
    findings.extend(engine.findings);
    findings.extend(extra);
    Outcome {
        findings: policy.apply_severities(findings),
        commits_judged,
        subject,
    }
}
