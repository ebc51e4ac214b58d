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

/// The longest message, path, ref name or detail line a finding keeps, in bytes: names in a
/// push can be megabytes long, and a finding quotes them.
pub const MAX_TEXT: usize = 4096;
/// The most detail lines a finding keeps (the last says how many more there were).
pub const MAX_DETAILS: usize = 100;

/// `text` cut to at most [`MAX_TEXT`] bytes on a character boundary, saying so.
fn clip(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let total = text.len();
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(&format!("... ({total} bytes in all)"));
    }
    text
}

impl Finding {
    pub fn new(rule: Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.info().default_severity,
            ref_name: None,
            commit: None,
            path: None,
            message: clip(message.into()),
            details: Vec::new(),
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> Finding {
        self.path = Some(clip(path.into()));
        self
    }

    pub fn with_details(mut self, details: Vec<String>) -> Finding {
        let total = details.len();
        let mut details: Vec<String> = details.into_iter().take(MAX_DETAILS).map(clip).collect();
        if total > MAX_DETAILS {
            details.push(format!("... and {} more", total - MAX_DETAILS));
        }
        self.details = details;
        self
    }

    pub fn in_commit(mut self, commit: impl ToString) -> Finding {
        self.commit = Some(commit.to_string());
        self
    }

    pub fn on_ref(mut self, name: impl Into<String>) -> Finding {
        self.ref_name = Some(clip(name.into()));
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
