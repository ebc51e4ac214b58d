//! The modes. Each builds its input (hook lines, a range, the index, the work tree) and hands
//! it to the shared pipeline in [`session`]; [`run`] reports the outcome and maps it to the
//! exit status.

pub mod audit;
pub mod check;
pub mod freeze;
pub mod hook_input;
pub mod platform;
pub mod pre_commit;
pub mod pre_push;
pub mod pre_receive;
pub mod session;
pub mod usage;

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command};
use crate::outcome::{ExitStatus, Outcome};
use crate::policy::{DEFAULT_POLICY_YAML, POLICY_FILE};
use crate::report;
use crate::rules::{RULES, Rule};

/// Run the command, report its outcome, and return the exit status.
pub fn run(cli: Cli) -> ExitStatus {
    let result = match &cli.command {
        Command::Explain { markdown: true, .. } => {
            report::print_out(&crate::rules::markdown());
            return ExitStatus::Ok;
        }
        Command::Explain { rule, .. } => return explain(rule.as_deref()),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut command, "freight-guard", &mut out);
            report::print_out(&String::from_utf8_lossy(&out));
            return ExitStatus::Ok;
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            return match clap_mangen::Man::new(command).render(&mut out) {
                Ok(()) => {
                    report::print_out(&String::from_utf8_lossy(&out));
                    ExitStatus::Ok
                }
                Err(e) => {
                    report::print_err(&format!("freight-guard: cannot render the man page: {e}\n"));
                    ExitStatus::Unverified
                }
            };
        }
        Command::Init {
            stdout,
            force,
            from_kargo,
        } => return init(&cli, *stdout, *force, from_kargo.as_deref()),
        Command::PreReceive { deadline } => pre_receive::run(&cli, *deadline),
        Command::PrePush {
            remote, deadline, ..
        } => pre_push::run(&cli, remote, *deadline),
        Command::PreCommit { worktree: false } => pre_commit::run(&cli),
        Command::PreCommit { worktree: true } => pre_commit::worktree(&cli),
        Command::Check {
            base,
            head,
            ref_name,
        } => check::run(&cli, base, head, ref_name.as_deref()),
        Command::Audit { refs } => audit::run(&cli, refs),
        Command::Hook { deadline } => pre_push::framework(&cli, *deadline),
        Command::LintKargo { dir } => lint_kargo(&cli, dir),
        Command::Freeze {
            root,
            revision,
            image,
            digest,
            package,
            created_at,
        } => freeze::run(
            &cli,
            &freeze::Request {
                root,
                revision,
                image,
                digest,
                package,
                created_at: created_at.as_deref(),
            },
        ),
    };
    let outcome = result.unwrap_or_else(Outcome::from);
    let prefix =
        platform::gitlab_prefix().filter(|_| matches!(cli.command, Command::PreReceive { .. }));
    report::emit(&outcome, cli.format, cli.color, prefix);
    outcome.exit_status()
}

fn explain(rule: Option<&str>) -> ExitStatus {
    let Some(name) = rule else {
        let listing: String = RULES
            .iter()
            .map(|info| {
                format!(
                    "{:<24} {:<5} {}\n",
                    info.name,
                    info.default_severity.as_str(),
                    info.summary
                )
            })
            .collect();
        report::print_out(&listing);
        return ExitStatus::Ok;
    };
    match Rule::from_name(name) {
        Some(rule) => {
            let info = rule.info();
            report::print_out(&format!(
                "{}\n\n{}\n\ndefault severity: {}\n\n{}\n",
                info.name, info.summary, info.default_severity, info.explanation
            ));
            ExitStatus::Ok
        }
        None => {
            report::print_err(&format!(
                "freight-guard: unknown rule `{name}`; `freight-guard explain` lists the rules\n"
            ));
            ExitStatus::Usage
        }
    }
}

/// `lint-kargo DIR`: the trusted policy (`--config`, else the repository's at HEAD, else the
/// defaults) against the Kargo configuration under DIR.
fn lint_kargo(cli: &Cli, dir: &Path) -> Result<Outcome, session::Failure> {
    let repo = session::open_repo(cli).ok();
    let head = repo.as_ref().and_then(|r| r.resolve("HEAD"));
    let policy = session::policy(cli, repo.as_ref(), head.map(|h| (h, "HEAD")))?;
    let kargo = crate::kargo::load(dir).map_err(session::Failure::input)?;
    let mut findings = crate::kargo::lint(&kargo, &policy);
    findings.extend(
        kargo
            .problems
            .iter()
            .map(|p| crate::finding::Finding::new(Rule::KargoDrift, format!("not compared: {p}"))),
    );
    Ok(Outcome {
        findings: policy.apply_severities(findings),
        commits_judged: 0,
        subject: format!(
            "{} Stage(s) under {} against the policy",
            kargo.stage_count(),
            dir.display()
        ),
    })
}

fn init(cli: &Cli, stdout: bool, force: bool, from_kargo: Option<&Path>) -> ExitStatus {
    let text = match from_kargo {
        None => DEFAULT_POLICY_YAML.to_string(),
        Some(dir) => match crate::kargo::derive(dir) {
            Ok(derived) => {
                for problem in &derived.problems {
                    report::print_err(&format!("freight-guard: not derived: {problem}\n"));
                }
                // A derived policy must load: it is checked as the hook would read it.
                if let Err(problems) = crate::policy::Policy::from_yaml(&derived.text) {
                    for p in problems {
                        report::print_err(&format!(
                            "freight-guard: the derived policy is invalid: {}\n",
                            p.describe("derived policy", false)
                        ));
                    }
                    return ExitStatus::Usage;
                }
                derived.text
            }
            Err(e) => {
                report::print_err(&format!("freight-guard: {e}\n"));
                return ExitStatus::Usage;
            }
        },
    };
    if stdout {
        report::print_out(&text);
        return ExitStatus::Ok;
    }
    let dir = match &cli.repo {
        Some(p) => p.clone(),
        None => match session::open_repo(cli)
            .ok()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
        {
            Some(w) => w,
            None => PathBuf::from("."),
        },
    };
    let path = dir.join(POLICY_FILE);
    if path.exists() && !force {
        report::print_err(&format!(
            "freight-guard: {} exists; use --force to overwrite it, or --stdout to print the defaults\n",
            path.display()
        ));
        return ExitStatus::Usage;
    }
    match std::fs::write(&path, &text) {
        Ok(()) => {
            report::print_err(&format!("freight-guard: wrote {}\n", path.display()));
            ExitStatus::Ok
        }
        Err(e) => {
            report::print_err(&format!(
                "freight-guard: cannot write {}: {e}\n",
                path.display()
            ));
            ExitStatus::Usage
        }
    }
}
