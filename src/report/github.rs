//! `--format github`: GitHub Actions workflow commands and the job's step summary.
//!
//! GitHub shows at most 10 error and 10 warning annotations per step, so the 10 most
//! important findings become annotations (`::error` / `::warning`, title = rule, file = path)
//! and a plain log line says how many more there are. When `GITHUB_STEP_SUMMARY` names a file,
//! a Markdown table of every finding is appended to it, kept under GitHub's 1 MiB limit.

use std::io::Write;

use crate::finding::Finding;
use crate::outcome::Outcome;
use crate::report::human::summary_line;
use crate::report::{MAX_JSON_FINDINGS, MAX_PER_RULE, omitted_line, per_rule};
use crate::rules::Severity;

/// Annotations GitHub shows per step.
pub const MAX_ANNOTATIONS: usize = 10;
/// GitHub rejects a step summary over 1 MiB; stay well under it.
const SUMMARY_BUDGET: usize = 1000 * 1000;

/// The findings in the order they are annotated: could-not-verify findings first (nothing
/// else was judged when they occur), then violations, then warnings; the order of the run
/// otherwise.
pub fn by_importance(findings: &[Finding]) -> Vec<&Finding> {
    let rank = |f: &Finding| match f.severity {
        _ if f.rule.is_operational() => 0,
        Severity::Deny => 1,
        Severity::Warn => 2,
        Severity::Allow => 3,
    };
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| rank(f)); // stable: the run's order within a rank
    sorted
}

/// Escape the message part of a workflow command.
fn escape_data(text: &str) -> String {
    replace_each(text, &[("%", "%25"), ("\r", "%0D"), ("\n", "%0A")])
}

/// `text` with each pair replaced in turn.
fn replace_each(text: &str, pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .fold(text.to_string(), |text, (from, to)| text.replace(from, to))
}

/// Escape a property value of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command for a finding.
pub fn annotation(finding: &Finding) -> String {
    let command = match finding.severity {
        Severity::Deny => "error",
        _ => "warning",
    };
    let mut properties = Vec::new();
    if let Some(path) = &finding.path {
        properties.push(format!("file={}", escape_property(path)));
    }
    properties.push(format!("title={}", escape_property(finding.rule.name())));
    let mut text = finding.message.clone();
    if let Some(r) = &finding.ref_name {
        text.push_str(&format!("\nref: {r}"));
    }
    if let Some(c) = &finding.commit {
        text.push_str(&format!("\ncommit: {c}"));
    }
    for d in &finding.details {
        text.push_str(&format!("\n  {d}"));
    }
    text.push_str(&format!("\nhelp: {}", finding.help()));
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&text)
    )
}

/// Everything printed on stdout: the annotations, the count of the rest, the summary line.
/// `summarized` is how many findings the job summary lists (`None`: no summary is written).
pub fn render(outcome: &Outcome, summarized: Option<usize>) -> String {
    // Findings set to `allow` never reach an outcome (`app::apply_severities` drops them).
    let shown = by_importance(&outcome.findings);
    let mut out = String::new();
    for finding in shown.iter().take(MAX_ANNOTATIONS) {
        out.push_str(&annotation(finding));
        out.push('\n');
    }
    if shown.len() > MAX_ANNOTATIONS {
        let rest = match summarized {
            Some(n) if n >= shown.len() => "the job summary lists every finding".to_string(),
            Some(n) => format!(
                "the job summary lists {n} of {} (at most {MAX_PER_RULE} per rule, within 1 MiB); `--format json` lists up to {MAX_JSON_FINDINGS}",
                shown.len()
            ),
            None => format!("`--format json` lists up to {MAX_JSON_FINDINGS} findings"),
        };
        out.push_str(&format!(
            "freight-guard: {} more finding(s) not annotated (GitHub shows {MAX_ANNOTATIONS} per step); {rest}\n",
            shown.len() - MAX_ANNOTATIONS
        ));
    }
    out.push_str(&summary_line(outcome));
    out.push('\n');
    out
}

/// A Markdown table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    replace_each(
        text,
        &[("\\", "\\\\"), ("|", "\\|"), ("\r", " "), ("\n", "<br>")],
    )
}

/// The step summary: a heading, the verdict and a table of every finding, cut to the budget;
/// with the number of findings it lists.
pub fn summary(outcome: &Outcome) -> (String, usize) {
    let mut out = format!("## freight-guard\n\n{}\n\n", cell(&summary_line(outcome)));
    if outcome.findings.is_empty() {
        return (out, 0);
    }
    out.push_str(
        "| rule | severity | ref | commit | path | finding |\n|---|---|---|---|---|---|\n",
    );
    let cut = per_rule(by_importance(&outcome.findings), MAX_PER_RULE);
    let findings = cut.shown;
    let mut notes = String::new();
    for (rule, count) in cut.omitted {
        notes.push_str(&format!("\n{}\n", omitted_line(rule, count)));
    }
    for (i, f) in findings.iter().enumerate() {
        let row = format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            f.rule.name(),
            f.severity,
            cell(f.ref_name.as_deref().unwrap_or("")),
            cell(f.commit.as_deref().unwrap_or("")),
            cell(f.path.as_deref().unwrap_or("")),
            cell(&f.message_with_details())
        );
        // Keep room for the closing notes.
        if out.len() + row.len() + notes.len() + 200 > SUMMARY_BUDGET {
            out.push_str(&format!(
                "\n{} more finding(s) not shown: a step summary is limited to 1 MiB. Run `freight-guard --format json` to list them.\n",
                findings.len() - i
            ));
            out.push_str(&notes);
            return (out, i);
        }
        out.push_str(&row);
    }
    out.push_str(&notes);
    (out, findings.len())
}

/// Print the annotations and, when `GITHUB_STEP_SUMMARY` is set, append the summary there.
pub fn emit(outcome: &Outcome) {
    let mut stdout = std::io::stdout().lock();
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        let _ = stdout.write_all(render(outcome, None).as_bytes());
        return;
    };
    let (text, listed) = summary(outcome);
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()));
    let _ = stdout.write_all(render(outcome, written.is_ok().then_some(listed)).as_bytes());
    if let Err(e) = written {
        // The verdict stands (and sets the exit status); only the summary is lost.
        let _ = writeln!(
            stdout,
            "::warning title=freight-guard::cannot append the step summary to {}: {}",
            escape_property(&path.to_string_lossy()),
            escape_data(&e.to_string())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rule;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("a%b\nc\rd"), "a%25b%0Ac%0Dd");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn the_summary_stays_under_a_mebibyte_and_says_what_it_left_out() {
        // Twenty findings of every rule, each as long as a finding gets: more than 1 MiB.
        let findings: Vec<Finding> = crate::rules::RULES
            .iter()
            .flat_map(|info| (0..MAX_PER_RULE).map(move |i| (info.rule, i)))
            .map(|(rule, i)| {
                Finding::new(rule, format!("finding {i}: {}", "x".repeat(60)))
                    .at("warehouses/codeai/freight/current")
                    .in_commit("0".repeat(40))
                    .on_ref("refs/heads/main")
                    .with_details(vec!["y".repeat(2000)])
            })
            .collect();
        let total = findings.len();
        let outcome = Outcome {
            findings,
            ..Outcome::default()
        };
        let (text, listed) = summary(&outcome);
        assert!(text.len() < 1 << 20, "{}", text.len());
        let rows = text.lines().filter(|l| l.starts_with("| `")).count();
        assert!(rows > 100 && rows < total, "{rows}");
        assert!(
            text.contains(&format!("{} more finding(s) not shown", total - rows)),
            "{}",
            &text[text.len() - 300..]
        );
        assert_eq!(listed, rows);
        // The annotations stop at ten whatever the count, and the note says the summary is cut.
        let printed = render(&outcome, Some(listed));
        assert!(
            printed.contains(&format!("the job summary lists {rows} of {total}")),
            "{printed}"
        );
        assert!(!printed.contains("lists every finding"), "{printed}");
        assert_eq!(
            printed
                .lines()
                .filter(|l| l.starts_with("::error "))
                .count(),
            10
        );
    }

    #[test]
    fn the_summary_lists_a_bounded_number_of_findings_per_rule() {
        let findings: Vec<Finding> = (0..20_000)
            .map(|i| Finding::new(Rule::MirrorMismatch, format!("finding {i}")))
            .chain([Finding::new(Rule::ReleaseModified, "one of another rule")])
            .collect();
        let outcome = Outcome {
            findings,
            ..Outcome::default()
        };
        let (text, listed) = summary(&outcome);
        assert_eq!(listed, MAX_PER_RULE + 1);
        assert!(text.contains("one of another rule"), "{text}");
        assert!(
            text.contains(&format!(
                "{} more `mirror-mismatch` finding(s) not shown",
                20_000 - MAX_PER_RULE
            )),
            "{text}"
        );
    }

    #[test]
    fn markdown_cells_stay_on_one_line() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
    }
}
