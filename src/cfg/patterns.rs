//! Patterns a policy holds: globs for branch names and paths (`*` within one segment), globs
//! for identities (only `*` is a wildcard), and linear-time regular expressions.

use globset::{Glob, GlobBuilder, GlobMatcher};

/// A set of glob patterns with the text they came from.
#[derive(Debug, Clone)]
pub struct Patterns {
    pub texts: Vec<String>,
    pub(crate) matchers: Vec<GlobMatcher>,
}

impl PartialEq for Patterns {
    fn eq(&self, other: &Self) -> bool {
        self.texts == other.texts
    }
}

/// What a set of glob patterns matches: paths and branch names, where `*` stays within one
/// `/`-separated segment, or identities (`Name <email>`), where `*` matches anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Path,
    Identity,
}

impl Patterns {
    pub fn new(texts: &[&str]) -> Patterns {
        Patterns::of_kind(texts, PatternKind::Path)
    }

    pub fn identities(texts: &[&str]) -> Patterns {
        Patterns::of_kind(texts, PatternKind::Identity)
    }

    fn of_kind(texts: &[&str], kind: PatternKind) -> Patterns {
        let mut out = Patterns {
            texts: Vec::new(),
            matchers: Vec::new(),
        };
        for t in texts {
            let glob = compile_glob_kind(t, kind).expect("built-in patterns are valid");
            out.texts.push((*t).to_string());
            out.matchers.push(glob.compile_matcher());
        }
        out
    }

    /// Does any pattern match `candidate` (a branch name without `refs/heads/`, or a path)?
    pub fn is_match(&self, candidate: &str) -> bool {
        self.matchers.iter().any(|m| m.is_match(candidate))
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The patterns that match none of `candidates`.
    pub fn unmatched(&self, candidates: &[String]) -> Vec<&str> {
        self.texts
            .iter()
            .zip(&self.matchers)
            .filter(|(_, m)| !candidates.iter().any(|c| m.is_match(c)))
            .map(|(t, _)| t.as_str())
            .collect()
    }

    /// Does every candidate match (the patterns include `**`)?
    pub fn matches_everything(&self) -> bool {
        self.texts.iter().any(|t| t == "**")
    }
}

pub fn compile_glob(text: &str) -> Result<Glob, globset::Error> {
    compile_glob_kind(text, PatternKind::Path)
}

pub fn compile_glob_kind(text: &str, kind: PatternKind) -> Result<Glob, globset::Error> {
    match kind {
        PatternKind::Path => GlobBuilder::new(text)
            .literal_separator(true)
            .backslash_escape(true)
            .build(),
        // In an identity only `*` is a wildcard: real identities hold `[bot]`, `+` and `\`
        // (`github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>`).
        PatternKind::Identity => {
            let literal: Vec<String> = text.split('*').map(globset::escape).collect();
            GlobBuilder::new(&literal.join("*"))
                .literal_separator(false)
                .backslash_escape(false)
                .build()
        }
    }
}

/// A regular expression from the policy, with its text.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    pub regex: regex::Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// The largest compiled policy regex, in bytes (regex's own limit is 10 MiB).
const MAX_REGEX_BYTES: usize = 1024 * 1024;

pub fn compile_regex(text: &str) -> Result<Pattern, String> {
    regex::RegexBuilder::new(text)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map(|regex| Pattern {
            text: text.to_string(),
            regex,
        })
        .map_err(|e| match e {
            regex::Error::Syntax(s) => s
                .lines()
                .last()
                .unwrap_or("syntax error")
                .trim()
                .to_string(),
            regex::Error::CompiledTooBig(_) => "the pattern is too large".to_string(),
            other => other.to_string(),
        })
}
