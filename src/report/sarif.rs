//! `--format sarif`: a SARIF 2.1.0 log for code scanning (GitHub, GitLab, Azure DevOps).
//!
//! One run; the driver lists every rule (`ruleId` = the rule's name, which is public API and
//! never changes), with its summary and its `explain` text as help. Each finding is one
//! result with a `partialFingerprints` entry computed from what identifies it (rule, ref,
//! commit, path, message), so re-running on the same commits gives the same alert.
//!
//! GitHub code scanning refuses a whole upload when one result lacks a file location. Findings
//! about a whole commit (an identity, a signature) have no path: they are placed on the
//! policy file, `.freight-guard.yaml`, which states the contract they break, and carry the ref
//! and commit as logical locations.

use std::collections::BTreeMap;

use serde_sarif::sarif;
use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::outcome::{ExitStatus, Outcome};
use crate::policy::POLICY_FILE;
use crate::report::{MAX_PER_RULE, omitted_line, per_rule};
use crate::rules::{RULES, Severity};

/// The SARIF schema a log names.
pub const SCHEMA: &str = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json";
/// The `partialFingerprints` key; bump its version if the identity of a finding changes.
pub const FINGERPRINT: &str = "freightGuard/v1";

fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Deny => sarif::ResultLevel::Error,
        Severity::Warn => sarif::ResultLevel::Warning,
        Severity::Allow => sarif::ResultLevel::None,
    }
}

fn text(s: impl Into<String>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(s.into())
        .build()
}

/// What identifies a finding across runs, hashed.
pub fn fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    for part in [
        f.rule.name(),
        f.ref_name.as_deref().unwrap_or(""),
        f.commit.as_deref().unwrap_or(""),
        f.path.as_deref().unwrap_or(""),
        f.message.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn rules() -> Vec<sarif::ReportingDescriptor> {
    RULES
        .iter()
        .map(|info| {
            sarif::ReportingDescriptor::builder()
                .id(info.name)
                .name(info.name)
                .short_description(text(info.summary))
                .full_description(text(info.explanation))
                .help(
                    sarif::MultiformatMessageString::builder()
                        .text(format!("{}\n\n{}", info.summary, info.explanation))
                        .markdown(format!(
                            "**{}**\n\n{}\n\nDefault severity: `{}`. See `freight-guard explain {}`.",
                            info.summary, info.explanation, info.default_severity, info.name
                        ))
                        .build(),
                )
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::Value::from(
                            level(info.default_severity).to_string(),
                        ))
                        .build(),
                )
                .build()
        })
        .collect()
}

fn result(f: &Finding) -> sarif::Result {
    let index = RULES
        .iter()
        .position(|info| info.rule == f.rule)
        .unwrap_or_default();
    let logical: Vec<sarif::LogicalLocation> = [(&f.ref_name, "ref"), (&f.commit, "commit")]
        .into_iter()
        .filter_map(|(name, kind)| {
            name.as_ref().map(|n| {
                sarif::LogicalLocation::builder()
                    .fully_qualified_name(n.clone())
                    .kind(kind)
                    .build()
            })
        })
        .collect();
    let uri = f.path.clone().unwrap_or_else(|| POLICY_FILE.to_string());
    let physical = sarif::PhysicalLocation::builder()
        .artifact_location(sarif::ArtifactLocation::builder().uri(uri).build())
        .build();
    let location = if logical.is_empty() {
        sarif::Location::builder()
            .physical_location(physical)
            .build()
    } else {
        sarif::Location::builder()
            .physical_location(physical)
            .logical_locations(logical)
            .build()
    };
    let fingerprints = BTreeMap::from([(FINGERPRINT.to_string(), fingerprint(f))]);
    sarif::Result::builder()
        .rule_id(f.rule.name())
        .rule_index(index as i64)
        .level(level(f.severity))
        .message(
            sarif::Message::builder()
                .text(f.message_with_details())
                .build(),
        )
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .build()
}

/// The SARIF log of an outcome, as pretty-printed JSON.
pub fn render(outcome: &Outcome) -> String {
    let driver = sarif::ToolComponent::builder()
        .name("freight-guard")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(rules())
        .build();
    let status = outcome.exit_status();
    // Findings set to `allow` never reach an outcome (`app::apply_severities` drops them).
    let cut = per_rule(&outcome.findings, MAX_PER_RULE);
    let results: Vec<sarif::Result> = cut.shown.into_iter().map(result).collect();
    // What was left out is said where SARIF says things about the run itself.
    let notes: Vec<sarif::Notification> = cut
        .omitted
        .into_iter()
        .map(|(rule, count)| {
            sarif::Notification::builder()
                .message(
                    sarif::Message::builder()
                        .text(omitted_line(rule, count))
                        .build(),
                )
                .level(serde_json::Value::from("note"))
                .build()
        })
        .collect();
    let invocation = if notes.is_empty() {
        sarif::Invocation::builder()
            .execution_successful(matches!(status, ExitStatus::Ok | ExitStatus::Violation))
            .exit_code(i64::from(status.code()))
            .build()
    } else {
        sarif::Invocation::builder()
            .execution_successful(matches!(status, ExitStatus::Ok | ExitStatus::Violation))
            .exit_code(i64::from(status.code()))
            .tool_execution_notifications(notes)
            .build()
    };
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .results(results)
        .build();
    let log = sarif::Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_string_pretty(&log).unwrap_or_else(|e| {
        // Serialising plain strings and numbers cannot fail; if it ever does, say so in a
        // log that still validates.
        format!(
            "{{\"$schema\":\"{SCHEMA}\",\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{{\"driver\":{{\"name\":\"freight-guard\"}}}},\"invocations\":[{{\"executionSuccessful\":false,\"toolExecutionNotifications\":[{{\"message\":{{\"text\":\"cannot serialise the report: {}\"}}}}]}}],\"results\":[]}}]}}",
            e.to_string().replace(['"', '\\'], "'")
        )
    })
}
