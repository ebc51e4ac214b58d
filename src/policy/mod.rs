//! The policy file (`.freight-guard.yaml`): schema v1, defaults, validation.
//!
//! Reading happens in two phases, as in cargo-deny: the YAML is parsed into a [`Node`] tree
//! that remembers lines, then validated into a [`Policy`]. Validation collects every problem
//! (unknown key, wrong type, bad pattern) with its line before failing, so one run shows them
//! all. Keys that are left out keep their defaults. Checks only ever see a validated `Policy`.

pub mod load;

use std::collections::BTreeMap;

pub use crate::cfg::patterns::{Pattern, Patterns};
pub use crate::cfg::validator::Problem;
pub use crate::contracts::rendered::cfg::{FreightMode, RenderedPolicy};
pub use crate::contracts::signing::cfg::{
    ClassSigning, SigningClass, SigningOverride, SigningPolicy,
};
pub use crate::contracts::snapshot::cfg::SnapshotPolicy;

use crate::cfg::validator::Validator;
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

/// A validated policy.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub snapshot: SnapshotPolicy,
    pub rendered: RenderedPolicy,
    pub signing: SigningPolicy,
    /// The keys `signing` names, once loaded from the policy's trusted source
    /// (`policy::load`); empty until then.
    pub trust: crate::contracts::signing::Trust,
    /// Severity overrides from `rules:`.
    pub severities: BTreeMap<Rule, Severity>,
    /// `policy.pushers`: the platform logins that may push a change of the policy file, or of
    /// a key file it names, to the default branch. Empty: whoever may push that branch.
    pub change_pushers: Vec<String>,
    /// What loading the policy against the repository found it cannot do as written
    /// (`policy-warning`), e.g. freight roots that match nothing at the trusted revision.
    pub notes: Vec<String>,
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
        let mut out = self.notes.clone();
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
        let policy = read_policy(&mut v, &root);
        if v.problems.is_empty() {
            Ok(policy)
        } else {
            v.problems.sort_by_key(|p| p.line);
            Err(v.problems)
        }
    }
}

fn read_policy(val: &mut Validator, root: &Node) -> Policy {
    let mut policy = Policy::default();
    if matches!(root.value, Value::Null) {
        return policy;
    }
    let known = [
        "version", "snapshot", "rendered", "signing", "rules", "policy",
    ];
    for (key, node) in val.entries(root, "the policy file", &known) {
        match key {
            "version" => {
                if node.value != Value::Int(1) {
                    val.problem(
                        node,
                        "`version` must be 1 (the only schema version this freight-guard reads)",
                    );
                }
            }
            "snapshot" => crate::contracts::snapshot::cfg::read(val, node, &mut policy.snapshot),
            "rendered" => crate::contracts::rendered::cfg::read(val, node, &mut policy.rendered),
            "signing" => crate::contracts::signing::cfg::read(val, node, &mut policy.signing),
            "rules" => read_rules(val, node, &mut policy.severities),
            "policy" => {
                for (key, v) in val.entries(node, "policy", &["pushers"]) {
                    if key == "pushers"
                        && let Some(list) = val.strings(v, "policy.pushers")
                    {
                        policy.change_pushers = list;
                    }
                }
            }
            _ => unreachable!("filtered by entries()"),
        }
    }
    policy
}

fn read_rules(val: &mut Validator, node: &Node, out: &mut BTreeMap<Rule, Severity>) {
    let Value::Map(entries) = &node.value else {
        if node.value != Value::Null {
            val.problem(
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
            val.problem(k, "`rules`: keys must be rule names");
            continue;
        };
        let Some(rule) = Rule::from_name(name) else {
            let names: Vec<&str> = crate::rules::RULES.iter().map(|r| r.name).collect();
            let hint = crate::cfg::validator::suggest(name, &names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            val.problem(
                k,
                format!(
                    "`rules`: unknown rule `{name}`{hint}; `freight-guard explain` lists the rules"
                ),
            );
            continue;
        };
        match v.as_str().and_then(Severity::parse) {
            Some(sev) if rule.is_operational() && sev != rule.info().default_severity => {
                let fixed = rule.info().default_severity;
                val.problem(
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
            None => val.problem(v, format!("`rules.{name}` must be deny, warn or allow")),
        }
    }
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
