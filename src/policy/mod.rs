//! The policy file (`.freight-guard.yaml`): schema v1, defaults, validation.
//!
//! Reading happens in two phases, as in cargo-deny: the YAML is parsed into a [`Node`] tree
//! that remembers lines, then validated into a [`Policy`]. Validation collects every problem
//! (unknown key, wrong type, bad pattern) with its line before failing, so one run shows them
//! all. Keys that are left out keep their defaults. Checks only ever see a validated `Policy`.

pub mod load;

use std::collections::BTreeMap;

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::cfg::yaml::{self, Limits, Node, Value};
use crate::finding::Finding;
use crate::rules::{Rule, Severity};

/// The annotated defaults that `freight-guard init` writes. A unit test pins that parsing this
/// text gives exactly [`Policy::default`].
pub const DEFAULT_POLICY_YAML: &str = include_str!("default-policy.yaml");

/// The name of the policy file inside the repository.
pub const POLICY_FILE: &str = ".freight-guard.yaml";

/// The largest policy file read, in bytes.
pub const MAX_POLICY_BYTES: usize = 1024 * 1024;

/// A set of glob patterns with the text they came from.
#[derive(Debug, Clone)]
pub struct Patterns {
    pub texts: Vec<String>,
    matchers: Vec<GlobMatcher>,
}

impl PartialEq for Patterns {
    fn eq(&self, other: &Self) -> bool {
        self.texts == other.texts
    }
}

/// What a set of glob patterns matches: paths and branch names, where `*` stays within one
/// `/`-separated segment, or identities (`Name <email>`), where `*` matches anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatternKind {
    Path,
    Identity,
}

impl Patterns {
    fn new(texts: &[&str]) -> Patterns {
        Patterns::of_kind(texts, PatternKind::Path)
    }

    fn identities(texts: &[&str]) -> Patterns {
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

    /// Does every candidate match (the patterns include `**`)?
    pub fn matches_everything(&self) -> bool {
        self.texts.iter().any(|t| t == "**")
    }
}

fn compile_glob(text: &str) -> Result<Glob, globset::Error> {
    compile_glob_kind(text, PatternKind::Path)
}

fn compile_glob_kind(text: &str, kind: PatternKind) -> Result<Glob, globset::Error> {
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

fn compile_regex(text: &str) -> Result<Pattern, String> {
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

/// How rendered commits are cross-checked against freight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreightMode {
    Snapshot,
    None,
}

/// The snapshot contract's settings (`snapshot:`).
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotPolicy {
    pub branches: Patterns,
    /// Freight roots, one glob per path segment (`warehouses/*/freight`).
    pub roots: Vec<String>,
    pub current: String,
    /// Release directory template containing `{revision}` once.
    pub release: String,
    pub record: String,
    pub required: Vec<String>,
    /// `packageType` value -> payload directory.
    pub packages: BTreeMap<String, String>,
    pub prune: bool,
}

impl SnapshotPolicy {
    /// The release directory name for a revision.
    pub fn release_dir(&self, revision: &str) -> String {
        self.release.replacen("{revision}", revision, 1)
    }

    /// The freight roots as one glob matcher per path segment.
    pub fn root_matchers(&self) -> Vec<Vec<GlobMatcher>> {
        self.roots
            .iter()
            .map(|root| {
                root.split('/')
                    .map(|seg| {
                        compile_glob(seg)
                            .expect("root segments are validated with the policy")
                            .compile_matcher()
                    })
                    .collect()
            })
            .collect()
    }

    /// Is `name` shaped like a release directory (template with 40 or 64 lowercase hex)?
    pub fn is_release_name(&self, name: &[u8]) -> bool {
        let Some((prefix, suffix)) = self.release.split_once("{revision}") else {
            return false;
        };
        let (prefix, suffix) = (prefix.as_bytes(), suffix.as_bytes());
        if name.len() < prefix.len() + suffix.len()
            || !name.starts_with(prefix)
            || !name.ends_with(suffix)
        {
            return false;
        }
        let middle = &name[prefix.len()..name.len() - suffix.len()];
        (middle.len() == 40 || middle.len() == 64) && crate::git::parse::is_lower_hex(middle)
    }
}

/// The rendered-branch contract's settings (`rendered:`).
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedPolicy {
    pub branches: Patterns,
    pub review: Patterns,
    pub proposals: Patterns,
    pub renderer: Patterns,
    pub forge: Patterns,
    pub paths: Patterns,
    /// Matched against the subject; named groups `revision` and `tag`.
    pub message: Option<Pattern>,
    /// Trailer token (compared case-insensitively, as git does) -> pattern its value must match.
    pub trailers: BTreeMap<String, Pattern>,
    pub pushers: Vec<String>,
    pub merges: bool,
    pub force: bool,
    pub delete: bool,
    pub freight: FreightMode,
    pub images: Vec<String>,
}

/// Commit signature settings (`signing:`): the top-level settings and per-class overrides.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SigningPolicy {
    pub require: bool,
    /// Path of a git `allowed_signers` file.
    pub ssh_allowed_signers: Option<String>,
    /// Paths of armored OpenPGP public key files, or armored keys written inline.
    pub gpg_keys: Vec<String>,
    /// `signing.stage`, `signing.proposal`, `signing.review`.
    pub overrides: BTreeMap<SigningClass, SigningOverride>,
}

/// Which key set judges a commit on a rendered branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SigningClass {
    /// Commits on stage branches.
    Stage,
    /// Renderer commits on proposal branches, and on review branches through them.
    Proposal,
    /// The forge's merges and squashes on review branches.
    Review,
}

impl SigningClass {
    pub const ALL: [SigningClass; 3] = [
        SigningClass::Stage,
        SigningClass::Proposal,
        SigningClass::Review,
    ];

    /// The commits of the class, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SigningClass::Stage => "commits on stage branches (`signing.stage`)",
            SigningClass::Proposal => "the renderer's proposal commits (`signing.proposal`)",
            SigningClass::Review => "the forge's merges on review branches (`signing.review`)",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SigningClass::Stage => "stage",
            SigningClass::Proposal => "proposal",
            SigningClass::Review => "review",
        }
    }
}

/// `signing.<class>`: fields left out keep the top-level value, except that naming either key
/// field replaces both: an override's keys are the only keys of its class.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SigningOverride {
    pub require: Option<bool>,
    pub ssh_allowed_signers: Option<Option<String>>,
    pub gpg_keys: Option<Vec<String>>,
}

/// The settings one class of commits is judged by.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClassSigning {
    pub require: bool,
    pub ssh_allowed_signers: Option<String>,
    pub gpg_keys: Vec<String>,
}

impl SigningPolicy {
    /// Every key file path any class names (inline keys left out).
    pub fn key_files(&self) -> Vec<String> {
        let mut out: Vec<String> = SigningClass::ALL
            .into_iter()
            .flat_map(|c| {
                let s = self.class(c);
                s.ssh_allowed_signers.into_iter().chain(
                    s.gpg_keys
                        .into_iter()
                        .filter(|k| !k.trim_start().starts_with("-----BEGIN")),
                )
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Does `signing.<class>` name its own keys (which replace the top-level ones)?
    pub fn overrides_keys(&self, class: SigningClass) -> bool {
        self.overrides
            .get(&class)
            .is_some_and(|o| o.ssh_allowed_signers.is_some() || o.gpg_keys.is_some())
    }

    /// The effective settings of `class`.
    pub fn class(&self, class: SigningClass) -> ClassSigning {
        let o = self.overrides.get(&class).cloned().unwrap_or_default();
        let keys_overridden = o.ssh_allowed_signers.is_some() || o.gpg_keys.is_some();
        let (ssh, gpg) = if keys_overridden {
            (
                o.ssh_allowed_signers.unwrap_or_default(),
                o.gpg_keys.unwrap_or_default(),
            )
        } else {
            (self.ssh_allowed_signers.clone(), self.gpg_keys.clone())
        };
        ClassSigning {
            require: o.require.unwrap_or(self.require),
            ssh_allowed_signers: ssh,
            gpg_keys: gpg,
        }
    }
}

/// A validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub snapshot: SnapshotPolicy,
    pub rendered: RenderedPolicy,
    pub signing: SigningPolicy,
    /// The keys `signing` names, once loaded from the policy's trusted source
    /// (`policy::load`); empty until then.
    pub trust: crate::contracts::signing::Trust,
    /// Severity overrides from `rules:`.
    pub severities: BTreeMap<Rule, Severity>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            snapshot: SnapshotPolicy {
                branches: Patterns::new(&["main"]),
                roots: vec!["warehouses/*/freight".into()],
                current: "current".into(),
                release: "git-{revision}".into(),
                record: "freight.yaml".into(),
                required: [
                    "schemaVersion",
                    "revision",
                    "tag",
                    "image.ref",
                    "image.digest",
                    "packageType",
                    "createdAt",
                ]
                .map(String::from)
                .to_vec(),
                packages: [("helm", "helm"), ("kustomize", "kustomize")]
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .into_iter()
                    .collect(),
                prune: false,
            },
            rendered: RenderedPolicy {
                branches: Patterns::new(&["stage/*"]),
                review: Patterns::new(&["stage/production"]),
                proposals: Patterns::new(&["kargo/promotion/*"]),
                renderer: Patterns::identities(&["Kargo <no-reply@kargo.io>"]),
                forge: Patterns::identities(&["GitHub <noreply@github.com>"]),
                paths: Patterns::new(&["**"]),
                message: None,
                trailers: BTreeMap::new(),
                pushers: Vec::new(),
                merges: true,
                force: false,
                delete: false,
                freight: FreightMode::Snapshot,
                images: Vec::new(),
            },
            signing: SigningPolicy::default(),
            trust: crate::contracts::signing::Trust::default(),
            severities: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// The severity a finding of `rule` gets under this policy.
    pub fn severity(&self, rule: Rule) -> Severity {
        self.severities
            .get(&rule)
            .copied()
            .unwrap_or(rule.info().default_severity)
    }

    /// Parse and validate policy text. `origin` names where it came from, for messages.
    /// Apply the policy's severities; drop `allow`ed findings. Operational rules keep their
    /// built-in severity: a policy cannot silence them.
    pub fn apply_severities(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|mut f| {
                f.severity = if f.rule.is_operational() {
                    f.rule.info().default_severity
                } else {
                    self.severity(f.rule)
                };
                (f.severity != Severity::Allow).then_some(f)
            })
            .collect()
    }

    /// What makes a valid policy unable to work as written (`policy-warning`).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.rendered.freight == FreightMode::Snapshot && self.snapshot.branches.is_empty() {
            out.push(
                "`rendered.freight` is `snapshot` but `snapshot.branches` is empty: no release directory can be known, so every rendered commit is `unknown-freight`; set `rendered.freight: none` or name the snapshot branch".to_string(),
            );
        }
        out
    }

    pub fn from_yaml(text: &str) -> Result<Policy, Vec<Problem>> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(vec![Problem {
                line: 0,
                message: format!(
                    "the policy file is {} bytes; at most {MAX_POLICY_BYTES} are read",
                    text.len()
                ),
            }]);
        }
        let root = yaml::parse(text, Limits::SMALL).map_err(|e| {
            vec![Problem {
                line: e.line,
                message: format!("not valid YAML: {}", e.message),
            }]
        })?;
        let mut v = Validator::default();
        let policy = v.policy(&root);
        if v.problems.is_empty() {
            Ok(policy)
        } else {
            v.problems.sort_by_key(|p| p.line);
            Err(v.problems)
        }
    }
}

/// One thing wrong with a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line; 0 when the whole file is concerned.
    pub line: u64,
    pub message: String,
}

#[derive(Default)]
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn problem(&mut self, node: &Node, message: impl Into<String>) {
        self.problems.push(Problem {
            line: node.line,
            message: message.into(),
        });
    }

    /// Iterate a mapping's entries, reporting unknown keys against `known`.
    fn entries<'a>(
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

    fn boolean(&mut self, node: &Node, key: &str, slot: &mut bool) {
        match node.value {
            Value::Bool(b) => *slot = b,
            ref other => self.problem(
                node,
                format!("`{key}` must be true or false, not {}", other.type_name()),
            ),
        }
    }

    fn string(&mut self, node: &Node, key: &str) -> Option<String> {
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

    fn strings(&mut self, node: &Node, key: &str) -> Option<Vec<String>> {
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

    fn patterns(&mut self, node: &Node, key: &str, slot: &mut Patterns) {
        self.patterns_of_kind(node, key, slot, PatternKind::Path);
    }

    fn patterns_of_kind(&mut self, node: &Node, key: &str, slot: &mut Patterns, kind: PatternKind) {
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

    fn string_map(&mut self, node: &Node, key: &str) -> Option<BTreeMap<String, String>> {
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

    fn regex(&mut self, node: &Node, key: &str, text: &str) -> Option<Pattern> {
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
    fn path_ok(&mut self, node: &Node, key: &str, text: &str, single_segment: bool) -> bool {
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

    fn policy(&mut self, root: &Node) -> Policy {
        let mut policy = Policy::default();
        if matches!(root.value, Value::Null) {
            return policy;
        }
        let known = ["version", "snapshot", "rendered", "signing", "rules"];
        for (key, node) in self.entries(root, "the policy file", &known) {
            match key {
                "version" => {
                    if node.value != Value::Int(1) {
                        self.problem(
                            node,
                            "`version` must be 1 (the only schema version this freight-guard reads)",
                        );
                    }
                }
                "snapshot" => self.snapshot(node, &mut policy.snapshot),
                "rendered" => self.rendered(node, &mut policy.rendered),
                "signing" => self.signing(node, &mut policy.signing),
                "rules" => self.rules(node, &mut policy.severities),
                _ => unreachable!("filtered by entries()"),
            }
        }
        policy
    }

    fn snapshot(&mut self, node: &Node, s: &mut SnapshotPolicy) {
        let known = [
            "branches", "roots", "current", "release", "record", "required", "packages", "prune",
        ];
        for (key, v) in self.entries(node, "snapshot", &known) {
            let key_q = format!("snapshot.{key}");
            match key {
                "branches" => self.patterns(v, &key_q, &mut s.branches),
                "roots" => {
                    if let Some(roots) = self.strings(v, &key_q) {
                        let mut ok = Vec::new();
                        for root in roots {
                            if !self.path_ok(v, &key_q, &root, false) {
                                continue;
                            }
                            if root.split('/').any(|seg| seg.contains("**")) {
                                self.problem(v, format!("`{key_q}`: `**` is not supported in freight roots (`{root}`); use one `*` per directory level"));
                                continue;
                            }
                            if let Some(e) = root.split('/').find_map(|seg| compile_glob(seg).err())
                            {
                                self.problem(
                                    v,
                                    format!("`{key_q}`: invalid pattern `{root}`: {}", e.kind()),
                                );
                                continue;
                            }
                            ok.push(root);
                        }
                        s.roots = ok;
                    }
                }
                "current" | "record" => {
                    if let Some(text) = self.string(v, &key_q)
                        && self.path_ok(v, &key_q, &text, true)
                    {
                        if key == "current" {
                            s.current = text;
                        } else {
                            s.record = text;
                        }
                    }
                }
                "release" => {
                    if let Some(text) = self.string(v, &key_q) {
                        if text.matches("{revision}").count() != 1 {
                            self.problem(v, format!("`{key_q}` must contain `{{revision}}` exactly once, e.g. `git-{{revision}}`"));
                        } else if self.path_ok(v, &key_q, &text, true) {
                            s.release = text;
                        }
                    }
                }
                "required" => {
                    if let Some(list) = self.strings(v, &key_q) {
                        s.required = list;
                    }
                }
                "packages" => {
                    if let Some(map) = self.string_map(v, &key_q) {
                        for dir in map.values() {
                            self.path_ok(v, &key_q, dir, false);
                        }
                        s.packages = map;
                    }
                }
                "prune" => self.boolean(v, &key_q, &mut s.prune),
                _ => unreachable!("filtered by entries()"),
            }
        }
        if s.current.is_empty() || s.release.replacen("{revision}", "", 1) == s.current {
            self.problem(
                node,
                "`snapshot.current` and `snapshot.release` must differ",
            );
        }
    }

    fn rendered(&mut self, node: &Node, r: &mut RenderedPolicy) {
        let known = [
            "branches",
            "review",
            "proposals",
            "renderer",
            "forge",
            "paths",
            "message",
            "trailers",
            "pushers",
            "merges",
            "force",
            "delete",
            "freight",
            "images",
        ];
        for (key, v) in self.entries(node, "rendered", &known) {
            let key_q = format!("rendered.{key}");
            match key {
                "branches" => self.patterns(v, &key_q, &mut r.branches),
                "review" => self.patterns(v, &key_q, &mut r.review),
                "proposals" => self.patterns(v, &key_q, &mut r.proposals),
                "renderer" => {
                    self.patterns_of_kind(v, &key_q, &mut r.renderer, PatternKind::Identity)
                }
                "forge" => self.patterns_of_kind(v, &key_q, &mut r.forge, PatternKind::Identity),
                "paths" => self.patterns(v, &key_q, &mut r.paths),
                "message" => {
                    r.message = match v.value {
                        Value::Null => None,
                        _ => self
                            .string(v, &key_q)
                            .and_then(|text| self.regex(v, &key_q, &text)),
                    };
                }
                "trailers" => {
                    if let Some(map) = self.string_map(v, &key_q) {
                        let mut out = BTreeMap::new();
                        for (token, text) in map {
                            if token.is_empty()
                                || !token
                                    .bytes()
                                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                            {
                                self.problem(v, format!("`{key_q}`: `{token}` is not a trailer name (letters, digits and `-`)"));
                                continue;
                            }
                            let key_t = format!("{key_q}.{token}");
                            if let Some(p) = self.regex(v, &key_t, &text) {
                                out.insert(token, p);
                            }
                        }
                        r.trailers = out;
                    }
                }
                "pushers" => {
                    if let Some(list) = self.strings(v, &key_q) {
                        r.pushers = list;
                    }
                }
                "images" => {
                    if let Some(list) = self.strings(v, &key_q) {
                        for image in &list {
                            let name = image.rsplit('/').next().unwrap_or(image);
                            if image.contains('@')
                                || name.contains(':')
                                || image.contains(char::is_whitespace)
                            {
                                self.problem(v, format!("`{key_q}`: `{image}` must be an image repository without tag or digest, e.g. `ghcr.io/org/app`"));
                            }
                        }
                        r.images = list;
                    }
                }
                "merges" => self.boolean(v, &key_q, &mut r.merges),
                "force" => self.boolean(v, &key_q, &mut r.force),
                "delete" => self.boolean(v, &key_q, &mut r.delete),
                "freight" => match v.as_str() {
                    Some("snapshot") => r.freight = FreightMode::Snapshot,
                    Some("none") => r.freight = FreightMode::None,
                    _ => self.problem(v, "`rendered.freight` must be `snapshot` or `none`"),
                },
                _ => unreachable!("filtered by entries()"),
            }
        }
    }

    fn signing(&mut self, node: &Node, s: &mut SigningPolicy) {
        let known = [
            "require",
            "ssh_allowed_signers",
            "gpg_keys",
            "stage",
            "proposal",
            "review",
        ];
        for (key, v) in self.entries(node, "signing", &known) {
            let key_q = format!("signing.{key}");
            match key {
                "require" => self.boolean(v, &key_q, &mut s.require),
                "ssh_allowed_signers" => s.ssh_allowed_signers = self.key_file(v, &key_q),
                "gpg_keys" => {
                    if let Some(list) = self.strings(v, &key_q) {
                        s.gpg_keys = list;
                    }
                }
                _ => {
                    let Some(class) = SigningClass::ALL.into_iter().find(|c| c.key() == key) else {
                        unreachable!("filtered by entries()")
                    };
                    let o = self.signing_override(v, &key_q);
                    s.overrides.insert(class, o);
                }
            }
        }
    }

    fn key_file(&mut self, v: &Node, key_q: &str) -> Option<String> {
        match v.value {
            Value::Null => None,
            _ => self.string(v, key_q),
        }
    }

    fn signing_override(&mut self, node: &Node, section: &str) -> SigningOverride {
        let mut o = SigningOverride::default();
        let known = ["require", "ssh_allowed_signers", "gpg_keys"];
        for (key, v) in self.entries(node, section, &known) {
            let key_q = format!("{section}.{key}");
            match key {
                "require" => {
                    let mut b = false;
                    self.boolean(v, &key_q, &mut b);
                    o.require = Some(b);
                }
                "ssh_allowed_signers" => o.ssh_allowed_signers = Some(self.key_file(v, &key_q)),
                "gpg_keys" => o.gpg_keys = Some(self.strings(v, &key_q).unwrap_or_default()),
                _ => unreachable!("filtered by entries()"),
            }
        }
        o
    }

    fn rules(&mut self, node: &Node, out: &mut BTreeMap<Rule, Severity>) {
        let Value::Map(entries) = &node.value else {
            if node.value != Value::Null {
                self.problem(
                    node,
                    format!(
                        "`rules` must be a mapping of rule name to deny, warn or allow, not {}",
                        node.value.type_name()
                    ),
                );
            }
            return;
        };
        for (k, v) in entries {
            let Some(name) = k.as_str() else {
                self.problem(k, "`rules`: keys must be rule names");
                continue;
            };
            let Some(rule) = Rule::from_name(name) else {
                let names: Vec<&str> = crate::rules::RULES.iter().map(|r| r.name).collect();
                let hint = suggest(name, &names)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                self.problem(k, format!("`rules`: unknown rule `{name}`{hint}; `freight-guard explain` lists the rules"));
                continue;
            };
            match v.as_str().and_then(Severity::parse) {
                Some(sev) if rule.is_operational() && sev != rule.info().default_severity => {
                    let fixed = rule.info().default_severity;
                    self.problem(
                        v,
                        if fixed == Severity::Deny {
                            format!("`rules.{name}` cannot be lowered: operational rules always deny, so a push that cannot be verified is rejected")
                        } else {
                            format!("`rules.{name}` cannot be changed: it is always {fixed}; fix what it reports instead")
                        },
                    )
                }
                Some(sev) => {
                    out.insert(rule, sev);
                }
                None => self.problem(v, format!("`rules.{name}` must be deny, warn or allow")),
            }
        }
    }
}

fn qualified(section: &str, key: &str) -> String {
    match section {
        "snapshot" | "rendered" | "signing" | "signing.stage" | "signing.proposal"
        | "signing.review" => format!("{section}.{key}"),
        _ => key.to_string(),
    }
}

/// The known key closest to a misspelt one, if it is close.
fn suggest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotated_defaults_equal_built_in_defaults() {
        let parsed = Policy::from_yaml(DEFAULT_POLICY_YAML).expect("defaults are valid");
        assert_eq!(parsed, Policy::default());
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "version: 1\nsnapshot:\n  branchs: [main]\n  prune: yes please\nrules:\n  mirror-mismatch: warn\n  no-such-rule: deny\n";
        let problems = Policy::from_yaml(text).expect_err("invalid");
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 7], "{problems:?}");
        assert!(problems[0].message.contains("did you mean `branches`"));
    }

    #[test]
    fn left_out_keys_keep_defaults() {
        let p = Policy::from_yaml("rendered:\n  pushers: [kargo-bot]\n").expect("valid");
        assert_eq!(p.rendered.pushers, vec!["kargo-bot".to_string()]);
        assert_eq!(p.snapshot, Policy::default().snapshot);
        assert_eq!(p.rendered.review, Policy::default().rendered.review);
    }

    #[test]
    fn identities_are_literal_but_for_the_star() {
        let bot = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>";
        let p = Patterns::identities(&[bot, "Kargo <*@kargo.io>", "a\\b? {x} <c@d>"]);
        assert!(p.is_match(bot));
        assert!(!p.is_match("github-actionsb <41898282+github-actionsb@users.noreply.github.com>"));
        assert!(p.is_match("Kargo <promoter@kargo.io>"));
        assert!(p.is_match("Kargo <a/b@kargo.io>"));
        assert!(!p.is_match("Kargo <promoter@kargo.io.evil>"));
        assert!(p.is_match("a\\b? {x} <c@d>"));
        assert!(!p.is_match("a\\bz {x} <c@d>"));
    }

    #[test]
    fn release_names() {
        let s = Policy::default().snapshot;
        assert!(s.is_release_name(format!("git-{}", "a".repeat(40)).as_bytes()));
        assert!(s.is_release_name(format!("git-{}", "0".repeat(64)).as_bytes()));
        assert!(!s.is_release_name(b"git-abc"));
        assert!(!s.is_release_name(format!("git-{}", "A".repeat(40)).as_bytes()));
    }
}
