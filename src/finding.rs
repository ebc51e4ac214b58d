//! Findings: what a contract reports, before and after the policy assigns severities.

use serde::Serialize;

use crate::rules::{Rule, Severity};

/// One violation (or warning) found by a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// The full ref name the finding belongs to (`refs/heads/main`), if any.
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
    /// The commit id in hex, if the finding is about a commit.
    pub commit: Option<String>,
    /// The repository path concerned, if any.
    pub path: Option<String>,
    pub message: String,
    /// Further lines (e.g. the differing paths of a mirror mismatch).
    pub details: Vec<String>,
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Finding {
    pub fn new(rule: Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.info().default_severity,
            ref_name: None,
            commit: None,
            path: None,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> Finding {
        self.path = Some(path.into());
        self
    }

    pub fn with_details(mut self, details: Vec<String>) -> Finding {
        self.details = details;
        self
    }

    pub fn in_commit(mut self, commit: impl ToString) -> Finding {
        self.commit = Some(commit.to_string());
        self
    }

    pub fn on_ref(mut self, name: impl Into<String>) -> Finding {
        self.ref_name = Some(name.into());
        self
    }

    /// The message followed by its detail lines, one per line.
    pub fn message_with_details(&self) -> String {
        let mut text = self.message.clone();
        for d in &self.details {
            text.push('\n');
            text.push_str(d);
        }
        text
    }

    /// The help line: the "Fix:" part of the rule's explanation.
    pub fn help(&self) -> &'static str {
        let text = self.rule.info().explanation;
        match text.find("Fix: ") {
            Some(i) => &text[i + 5..],
            None => self.rule.info().summary,
        }
    }
}
