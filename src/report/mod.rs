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
use crate::rules::Rule;

/// The most findings of one rule that human, GitHub and SARIF output show; the rest of that
/// rule's findings are counted in one line. A push that breaks one rule 100,000 times says so
/// in a page, not in 100,000 blocks.
pub const MAX_PER_RULE: usize = 20;
/// The most findings `--format json` lists; `truncated` and `findings_total` say when there
/// were more.
pub const MAX_JSON_FINDINGS: usize = 10_000;

/// Findings cut to at most `cap` per rule, in the order given, and how many of each rule were
/// left out (in the order the rules first appear).
pub struct PerRule<'a> {
    pub shown: Vec<&'a Finding>,
    pub omitted: Vec<(Rule, usize)>,
}

pub fn per_rule<'a>(findings: impl IntoIterator<Item = &'a Finding>, cap: usize) -> PerRule<'a> {
    let mut counts: Vec<(Rule, usize)> = Vec::new();
    let mut shown = Vec::new();
    for f in findings {
        let k = match counts.iter().position(|(r, _)| *r == f.rule) {
            Some(k) => k,
            None => {
                counts.push((f.rule, 0));
                counts.len() - 1
            }
        };
        counts[k].1 += 1;
        if counts[k].1 <= cap {
            shown.push(f);
        }
    }
    let omitted = counts
        .into_iter()
        .filter(|(_, n)| *n > cap)
        .map(|(r, n)| (r, n - cap))
        .collect();
    PerRule { shown, omitted }
}

/// The line that stands for the findings of `rule` left out.
pub fn omitted_line(rule: Rule, count: usize) -> String {
    format!(
        "{count} more `{rule}` finding(s) not shown (at most {MAX_PER_RULE} per rule); `--format json` lists up to {MAX_JSON_FINDINGS} findings",
        rule = rule.name()
    )
}

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
    /// How many findings there were; `findings` lists at most [`MAX_JSON_FINDINGS`].
    findings_total: usize,
    /// Whether `findings` was cut to [`MAX_JSON_FINDINGS`].
    truncated: bool,
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
                findings: &outcome.findings[..outcome.findings.len().min(MAX_JSON_FINDINGS)],
                findings_total: outcome.findings.len(),
                truncated: outcome.findings.len() > MAX_JSON_FINDINGS,
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
