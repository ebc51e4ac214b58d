//! Reporting: the only place that writes findings out. Human diagnostics (miette) go to
//! stderr, as git relays a hook's stderr to the pusher; JSON goes to stdout.

use std::fmt;
use std::io::Write;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use serde::Serialize;

use crate::finding::Finding;
use crate::rules::{Rule, Severity};

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

/// Exit statuses (contracts §2).
pub mod exit {
    pub const OK: i32 = 0;
    pub const VIOLATION: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const UNVERIFIED: i32 = 3;
}

/// The result of one run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub commits_judged: usize,
    /// What was judged, for the summary line (e.g. "push of 2 refs").
    pub subject: String,
}

impl Outcome {
    pub fn exit_code(&self) -> i32 {
        let has = |rules: &[Rule]| self.findings.iter().any(|f| rules.contains(&f.rule));
        if has(&[Rule::PolicyInvalid, Rule::InputInvalid]) {
            exit::USAGE
        } else if has(&[Rule::ReadError, Rule::DeadlineExceeded]) {
            exit::UNVERIFIED
        } else if self.findings.iter().any(|f| f.severity == Severity::Deny) {
            exit::VIOLATION
        } else {
            exit::OK
        }
    }

    pub fn verdict(&self) -> &'static str {
        match self.exit_code() {
            exit::OK => "pass",
            exit::VIOLATION => "fail",
            _ => "error",
        }
    }
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
        Format::Github => crate::github::emit(outcome),
        Format::Sarif => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", crate::sarif::render(outcome));
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
                None => render_human(outcome, use_color(color)),
                Some(prefix) => render_human(outcome, false)
                    .lines()
                    .map(|l| format!("{prefix}{l}\n"))
                    .collect(),
            };
            let _ = err.write_all(text.as_bytes());
        }
    }
}

fn use_color(color: Color) -> bool {
    use std::io::IsTerminal;
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    }
}

/// Render findings and a summary line as plain or coloured text.
pub fn render_human(outcome: &Outcome, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::none()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_wrap_lines(false);
    let mut out = String::new();
    for finding in &outcome.findings {
        let diag = Diag(finding);
        if handler.render_report(&mut out, &diag).is_err() {
            out.push_str(&format!("{}: {}\n", finding.rule, finding.message));
        }
        out.push('\n');
    }
    out.push_str(&summary_line(outcome));
    out.push('\n');
    out
}

/// The one-line verdict that ends every report.
pub fn summary_line(outcome: &Outcome) -> String {
    let denies = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Deny)
        .count();
    let warns = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warn)
        .count();
    let mut rules: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Deny)
        .map(|f| f.rule.name())
        .collect();
    rules.sort();
    rules.dedup();
    let judged = format!("{} commit(s) judged", outcome.commits_judged);
    let subject = if outcome.subject.is_empty() {
        String::new()
    } else {
        format!(" ({})", outcome.subject)
    };
    match outcome.exit_code() {
        exit::OK => format!("freight-guard: ok{subject}: {judged}, {warns} warning(s)"),
        exit::VIOLATION => format!(
            "freight-guard: rejected{subject}: {denies} violation(s) [{}], {warns} warning(s), {judged}; `freight-guard explain RULE` tells more",
            rules.join(", ")
        ),
        _ => format!(
            "freight-guard: rejected{subject}: could not verify [{}]",
            rules.join(", ")
        ),
    }
}

struct Diag<'a>(&'a Finding);

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finding = self.0;
        write!(f, "{}", finding.message)?;
        if let Some(r) = &finding.ref_name {
            write!(f, "\n  ref:    {r}")?;
        }
        if let Some(c) = &finding.commit {
            write!(f, "\n  commit: {c}")?;
        }
        if let Some(p) = &finding.path {
            write!(f, "\n  path:   {p}")?;
        }
        for d in &finding.details {
            write!(f, "\n    {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.0.rule.name()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Deny => miette::Severity::Error,
            Severity::Warn => miette::Severity::Warning,
            Severity::Allow => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.0.help()))
    }
}
