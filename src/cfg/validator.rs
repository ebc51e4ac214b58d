//! Validating a configuration document: typed readers for YAML nodes that collect every
//! problem with its line instead of stopping at the first, and "did you mean" hints.

use std::collections::BTreeMap;

use crate::cfg::patterns::{Pattern, PatternKind, Patterns, compile_glob_kind, compile_regex};
use crate::cfg::yaml::{Node, Value};

/// One thing wrong with a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line; 0 when the whole file is concerned.
    pub line: u64,
    pub message: String,
}

impl Problem {
    /// `ORIGIN:LINE: message`; a problem of the whole file is `ORIGIN: message`, or the bare
    /// message when `origin_for_file` is false (it names its own file).
    pub fn describe(&self, origin: &str, origin_for_file: bool) -> String {
        match (self.line, origin_for_file) {
            (0, true) => format!("{origin}: {}", self.message),
            (0, false) => self.message.clone(),
            (line, _) => format!("{origin}:{line}: {}", self.message),
        }
    }
}

#[derive(Default)]
pub struct Validator {
    pub problems: Vec<Problem>,
}

impl Validator {
    pub fn problem(&mut self, node: &Node, message: impl Into<String>) {
        self.problems.push(Problem {
            line: node.line,
            message: message.into(),
        });
    }

    /// Iterate a mapping's entries, reporting unknown keys against `known`.
    pub fn entries<'a>(
        &mut self,
        node: &'a Node,
        section: &str,
        known: &[&str],
    ) -> Vec<(&'a str, &'a Node)> {
        let mut out = Vec::new();
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let Some(key) = k.as_str() else {
                        self.problem(k, format!("{section}: keys must be strings"));
                        continue;
                    };
                    if known.contains(&key) {
                        out.push((key, v));
                    } else {
                        let hint = suggest(key, known)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default();
                        self.problem(
                            k,
                            format!(
                                "unknown key `{}` in {section}{hint}; known keys: {}",
                                qualified(section, key),
                                known.join(", ")
                            ),
                        );
                    }
                }
            }
            Value::Null => {}
            other => self.problem(
                node,
                format!("{section} must be a mapping, not {}", other.type_name()),
            ),
        }
        out
    }

    pub fn boolean(&mut self, node: &Node, key: &str, slot: &mut bool) {
        match node.value {
            Value::Bool(b) => *slot = b,
            ref other => self.problem(
                node,
                format!("`{key}` must be true or false, not {}", other.type_name()),
            ),
        }
    }

    pub fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) if !s.is_empty() => Some(s.clone()),
            Value::Str(_) => {
                self.problem(node, format!("`{key}` must not be empty"));
                None
            }
            other => {
                self.problem(
                    node,
                    format!("`{key}` must be a string, not {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn strings(&mut self, node: &Node, key: &str) -> Option<Vec<String>> {
        match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    if let Some(s) = self.string(item, key) {
                        out.push(s);
                    }
                }
                Some(out)
            }
            Value::Null => Some(Vec::new()),
            other => {
                self.problem(
                    node,
                    format!(
                        "`{key}` must be a list of strings, not {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    pub fn patterns(&mut self, node: &Node, key: &str, slot: &mut Patterns) {
        self.patterns_of_kind(node, key, slot, PatternKind::Path);
    }

    pub fn patterns_of_kind(
        &mut self,
        node: &Node,
        key: &str,
        slot: &mut Patterns,
        kind: PatternKind,
    ) {
        let Some(texts) = self.strings(node, key) else {
            return;
        };
        let mut out = Patterns {
            texts: Vec::new(),
            matchers: Vec::new(),
        };
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => Vec::new(),
        };
        for (i, text) in texts.into_iter().enumerate() {
            match compile_glob_kind(&text, kind) {
                Ok(glob) => {
                    out.matchers.push(glob.compile_matcher());
                    out.texts.push(text);
                }
                Err(e) => {
                    let at = items.get(i).copied().unwrap_or(node);
                    self.problem(
                        at,
                        format!("`{key}`: invalid pattern `{text}`: {}", e.kind()),
                    );
                }
            }
        }
        *slot = out;
    }

    pub fn string_map(&mut self, node: &Node, key: &str) -> Option<BTreeMap<String, String>> {
        match &node.value {
            Value::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let (Some(k), Some(v)) = (self.string(k, key), self.string(v, key)) else {
                        continue;
                    };
                    out.insert(k, v);
                }
                Some(out)
            }
            Value::Null => Some(BTreeMap::new()),
            other => {
                self.problem(
                    node,
                    format!("`{key}` must be a mapping, not {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn regex(&mut self, node: &Node, key: &str, text: &str) -> Option<Pattern> {
        match compile_regex(text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.problem(
                    node,
                    format!("`{key}`: invalid regular expression `{text}`: {e}"),
                );
                None
            }
        }
    }

    /// A relative path inside the repository: no empty, `.` or `..` segments.
    pub fn path_ok(&mut self, node: &Node, key: &str, text: &str, single_segment: bool) -> bool {
        let bad = text.starts_with('/')
            || text
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
            || (single_segment && text.contains('/'));
        if bad {
            let what = if single_segment {
                "a single directory or file name"
            } else {
                "a relative path without empty, `.` or `..` segments"
            };
            self.problem(node, format!("`{key}` must be {what}, not `{text}`"));
        }
        !bad
    }
}

pub fn qualified(section: &str, key: &str) -> String {
    match section {
        "snapshot" | "rendered" | "signing" | "signing.stage" | "signing.proposal"
        | "signing.review" => format!("{section}.{key}"),
        _ => key.to_string(),
    }
}

/// The known key closest to a misspelt one, if it is close.
pub fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
