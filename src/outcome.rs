//! What one run found, and the exit status it maps to.

use crate::finding::Finding;
use crate::rules::{Rule, Severity};

/// The documented exit statuses (contracts §2). In hook modes any status but `Ok` rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum ExitStatus {
    /// 0: every contract holds (warnings allowed).
    Ok,
    /// 1: at least one violation at `deny`.
    Violation,
    /// 2: bad usage, bad policy file or malformed hook input.
    Usage,
    /// 3: something could not be verified (an unreadable object, the deadline).
    Unverified,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Violation => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Unverified => 3,
        }
    }
}

/// The result of one run.
#[derive(Debug, Default)]
#[must_use]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub commits_judged: usize,
    /// What was judged, for the summary line (e.g. "push of 2 refs").
    pub subject: String,
}

impl Outcome {
    /// An outcome holding one operational finding.
    pub fn failed(rule: Rule, message: impl Into<String>) -> Outcome {
        Outcome {
            findings: vec![Finding::new(rule, message)],
            ..Outcome::default()
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        let has = |rules: &[Rule]| self.findings.iter().any(|f| rules.contains(&f.rule));
        if has(&[Rule::PolicyInvalid, Rule::InputInvalid]) {
            ExitStatus::Usage
        } else if has(&[Rule::ReadError, Rule::DeadlineExceeded]) {
            ExitStatus::Unverified
        } else if self.findings.iter().any(|f| f.severity == Severity::Deny) {
            ExitStatus::Violation
        } else {
            ExitStatus::Ok
        }
    }

    pub fn verdict(&self) -> &'static str {
        match self.exit_status() {
            ExitStatus::Ok => "pass",
            ExitStatus::Violation => "fail",
            ExitStatus::Usage | ExitStatus::Unverified => "error",
        }
    }
}
