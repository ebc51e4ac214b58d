//! Commit signing settings (`signing:` and its per-class overrides), their validation, and
//! which key set judges which commits.

use std::collections::BTreeMap;

use crate::cfg::validator::Validator;
use crate::cfg::yaml::{Node, Value};

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
    /// Commits that change the policy file, or a key file it names, on the default branch.
    Policy,
}

impl SigningClass {
    pub const ALL: [SigningClass; 4] = [
        SigningClass::Stage,
        SigningClass::Proposal,
        SigningClass::Review,
        SigningClass::Policy,
    ];

    /// The commits of the class, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SigningClass::Stage => "commits on stage branches (`signing.stage`)",
            SigningClass::Proposal => "the renderer's proposal commits (`signing.proposal`)",
            SigningClass::Review => "the forge's merges on review branches (`signing.review`)",
            SigningClass::Policy => {
                "commits that change the policy file or a key file it names (`signing.policy`)"
            }
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            SigningClass::Stage => "stage",
            SigningClass::Proposal => "proposal",
            SigningClass::Review => "review",
            SigningClass::Policy => "policy",
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
        // `signing.require` is about rendered branches: policy changes are signed only when
        // `signing.policy.require` says so.
        let inherited = class != SigningClass::Policy && self.require;
        ClassSigning {
            require: o.require.unwrap_or(inherited),
            ssh_allowed_signers: ssh,
            gpg_keys: gpg,
        }
    }
}

/// Read `signing:` into `s`, reporting problems to `val`.
pub fn read(val: &mut Validator, node: &Node, s: &mut SigningPolicy) {
    let known = [
        "require",
        "ssh_allowed_signers",
        "gpg_keys",
        "stage",
        "proposal",
        "review",
        "policy",
    ];
    for (key, v) in val.entries(node, "signing", &known) {
        let key_q = format!("signing.{key}");
        match key {
            "require" => val.boolean(v, &key_q, &mut s.require),
            "ssh_allowed_signers" => s.ssh_allowed_signers = key_file(val, v, &key_q),
            "gpg_keys" => {
                if let Some(list) = val.strings(v, &key_q) {
                    s.gpg_keys = list;
                }
            }
            _ => {
                let Some(class) = SigningClass::ALL.into_iter().find(|c| c.key() == key) else {
                    unreachable!("filtered by entries()")
                };
                let o = signing_override(val, v, &key_q);
                s.overrides.insert(class, o);
            }
        }
    }
}

fn key_file(val: &mut Validator, v: &Node, key_q: &str) -> Option<String> {
    match v.value {
        Value::Null => None,
        _ => val.string(v, key_q),
    }
}

fn signing_override(val: &mut Validator, node: &Node, section: &str) -> SigningOverride {
    let mut o = SigningOverride::default();
    let known = ["require", "ssh_allowed_signers", "gpg_keys"];
    for (key, v) in val.entries(node, section, &known) {
        let key_q = format!("{section}.{key}");
        match key {
            "require" => {
                let mut b = false;
                val.boolean(v, &key_q, &mut b);
                o.require = Some(b);
            }
            "ssh_allowed_signers" => o.ssh_allowed_signers = Some(key_file(val, v, &key_q)),
            "gpg_keys" => o.gpg_keys = Some(val.strings(v, &key_q).unwrap_or_default()),
            _ => unreachable!("filtered by entries()"),
        }
    }
    o
}
