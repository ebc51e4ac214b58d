//! Human diagnostics (miette): one block per finding with its rule, ref, commit, path, details
//! and help line, then the summary line. Written to stderr, which git relays to the pusher.

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use crate::finding::Finding;
use crate::outcome::{ExitStatus, Outcome};
use crate::report::{Color, MAX_PER_RULE, omitted_line, per_rule};
use crate::rules::Severity;

pub(crate) fn use_color(color: Color) -> bool {
    use std::io::IsTerminal;
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    }
}

/// Render findings and a summary line as plain or coloured text.
pub fn render(outcome: &Outcome, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::none()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_wrap_lines(false);
    let mut out = String::new();
    let cut = per_rule(&outcome.findings, MAX_PER_RULE);
    for finding in cut.shown {
        let diag = Diag(finding);
        if handler.render_report(&mut out, &diag).is_err() {
            out.push_str(&format!("{}: {}\n", finding.rule, finding.message));
        }
        out.push('\n');
    }
    for (rule, count) in cut.omitted {
        out.push_str(&format!("freight-guard: {}\n", omitted_line(rule, count)));
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
    match outcome.exit_status() {
        ExitStatus::Ok => format!("freight-guard: ok{subject}: {judged}, {warns} warning(s)"),
        ExitStatus::Violation => format!(
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
