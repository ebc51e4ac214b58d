//! The rendered-branch contract's settings (`rendered:`), their defaults and their validation.

use std::collections::BTreeMap;

use crate::cfg::patterns::{Pattern, PatternKind, Patterns};
use crate::cfg::validator::Validator;
use crate::cfg::yaml::{Node, Value};

/// How rendered commits are cross-checked against freight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreightMode {
    Snapshot,
    None,
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
    /// Matched against the subject (any one of them); named groups `revision` and `tag`.
    /// Empty: not checked.
    pub message: Vec<Pattern>,
    /// Trailer token (compared case-insensitively, as git does) -> pattern its value must match.
    pub trailers: BTreeMap<String, Pattern>,
    pub pushers: Vec<String>,
    pub merges: bool,
    pub force: bool,
    pub delete: bool,
    /// May a review branch move by fast-forward to a proposal commit without the platform
    /// saying that the forge merged it?
    pub fast_forward: bool,
    pub freight: FreightMode,
    pub images: Vec<String>,
}

impl Default for RenderedPolicy {
    fn default() -> Self {
        RenderedPolicy {
            branches: Patterns::new(&["stage/*"]),
            review: Patterns::new(&["stage/production"]),
            proposals: Patterns::new(&["kargo/promotion/*"]),
            renderer: Patterns::identities(&["Kargo <no-reply@kargo.io>"]),
            forge: Patterns::identities(&["GitHub <noreply@github.com>"]),
            paths: Patterns::new(&["**"]),
            message: Vec::new(),
            trailers: BTreeMap::new(),
            pushers: Vec::new(),
            merges: true,
            force: false,
            delete: false,
            fast_forward: false,
            freight: FreightMode::Snapshot,
            images: Vec::new(),
        }
    }
}

/// Read `rendered:` into `r` (which holds the defaults), reporting problems to `v`.
pub fn read(val: &mut Validator, node: &Node, r: &mut RenderedPolicy) {
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
        "fast_forward",
        "freight",
        "images",
    ];
    for (key, v) in val.entries(node, "rendered", &known) {
        let key_q = format!("rendered.{key}");
        match key {
            "branches" => val.patterns(v, &key_q, &mut r.branches),
            "review" => val.patterns(v, &key_q, &mut r.review),
            "proposals" => val.patterns(v, &key_q, &mut r.proposals),
            "renderer" => val.patterns_of_kind(v, &key_q, &mut r.renderer, PatternKind::Identity),
            "forge" => val.patterns_of_kind(v, &key_q, &mut r.forge, PatternKind::Identity),
            "paths" => val.patterns(v, &key_q, &mut r.paths),
            "message" => {
                // One regex, or a list of them (one per Stage's template): any one may match.
                let texts = match &v.value {
                    Value::Null => Vec::new(),
                    Value::Seq(_) => val.strings(v, &key_q).unwrap_or_default(),
                    _ => val.string(v, &key_q).into_iter().collect(),
                };
                r.message = texts
                    .iter()
                    .filter_map(|text| val.regex(v, &key_q, text))
                    .collect();
            }
            "trailers" => {
                if let Some(map) = val.string_map(v, &key_q) {
                    let mut out = BTreeMap::new();
                    for (token, text) in map {
                        if token.is_empty()
                            || !token
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        {
                            val.problem(v, format!("`{key_q}`: `{token}` is not a trailer name (letters, digits and `-`)"));
                            continue;
                        }
                        let key_t = format!("{key_q}.{token}");
                        if let Some(p) = val.regex(v, &key_t, &text) {
                            out.insert(token, p);
                        }
                    }
                    r.trailers = out;
                }
            }
            "pushers" => {
                if let Some(list) = val.strings(v, &key_q) {
                    r.pushers = list;
                }
            }
            "images" => {
                if let Some(list) = val.strings(v, &key_q) {
                    for image in &list {
                        let name = image.rsplit('/').next().unwrap_or(image);
                        if image.contains('@')
                            || name.contains(':')
                            || image.contains(char::is_whitespace)
                        {
                            val.problem(v, format!("`{key_q}`: `{image}` must be an image repository without tag or digest, e.g. `ghcr.io/org/app`"));
                        }
                    }
                    r.images = list;
                }
            }
            "merges" => val.boolean(v, &key_q, &mut r.merges),
            "force" => val.boolean(v, &key_q, &mut r.force),
            "delete" => val.boolean(v, &key_q, &mut r.delete),
            "fast_forward" => val.boolean(v, &key_q, &mut r.fast_forward),
            "freight" => match v.as_str() {
                Some("snapshot") => r.freight = FreightMode::Snapshot,
                Some("none") => r.freight = FreightMode::None,
                _ => val.problem(v, "`rendered.freight` must be `snapshot` or `none`"),
            },
            _ => unreachable!("filtered by entries()"),
        }
    }
}
