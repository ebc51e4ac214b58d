//! Reporting: the only place that writes findings out. Human diagnostics (miette) go to
//! stderr, as git relays a hook's stderr to the pusher; JSON goes to stdout.

// The one place that may print (clippy.toml bans the printing macros everywhere else).
#![allow(clippy::disallowed_macros)]

pub mod github;
pub mod human;
pub mod sarif;

use std::io::Write;

use serde::Serialize;

use crate::finding::Finding;
use crate::outcome::Outcome;

/// Output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics for people, on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
    /// GitHub Actions annotations on stdout, and a table in `$GITHUB_STEP_SUMMARY`.
    Github,
    /// A SARIF 2.1.0 log on stdout, for code scanning.
    Sarif,
}

/// Colour choice (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    verdict: &'a str,
    commits_judged: usize,
    findings: &'a [Finding],
}

/// Write the outcome in the chosen format. `line_prefix` goes before every line of human
/// output (GitLab shows a hook's lines to the pusher only with `GL-HOOK-ERR: `).
pub fn emit(outcome: &Outcome, format: Format, color: Color, line_prefix: Option<&str>) {
    match format {
        Format::Github => crate::report::github::emit(outcome),
        Format::Sarif => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", crate::report::sarif::render(outcome));
        }
        Format::Json => {
            let report = JsonReport {
                version: 1,
                verdict: outcome.verdict(),
                commits_judged: outcome.commits_judged,
                findings: &outcome.findings,
            };
            let text = serde_json::to_string_pretty(&report).unwrap_or_else(|e| {
                format!("{{\"version\":1,\"verdict\":\"error\",\"findings\":[],\"error\":\"{e}\"}}")
            });
            let mut out = std::io::stdout().lock();
            // A closed pipe is not an error worth reporting.
            let _ = writeln!(out, "{text}");
        }
        Format::Human => {
            let mut err = std::io::stderr().lock();
            let text = match line_prefix {
                None => human::render(outcome, human::use_color(color)),
                Some(prefix) => human::render(outcome, false)
                    .lines()
                    .map(|l| format!("{prefix}{l}\n"))
                    .collect(),
            };
            let _ = err.write_all(text.as_bytes());
        }
    }
}

/// Write `text` to stdout as it is (`explain`, `init --stdout`). A closed pipe is not an error
/// worth reporting.
pub fn print_out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Write `text` to stderr as it is.
pub fn print_err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A progress bar for `audit`, drawn on stderr only when a person watches it: human output to
/// a terminal. Hooks and CI logs get nothing.
pub fn progress(format: Format, branches: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if format != Format::Human || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(branches as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} auditing branch {pos}/{len}: {wide_msg} [{elapsed}]",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    Some(bar)
}
