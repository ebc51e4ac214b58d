//! The snapshot contract's settings (`snapshot:`), their defaults and their validation.

use std::collections::BTreeMap;

use globset::GlobMatcher;

use crate::cfg::patterns::{Patterns, compile_glob};
use crate::cfg::validator::Validator;
use crate::cfg::yaml::Node;

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
    /// May a snapshot branch lose commits (a force push)?
    pub force: bool,
    /// May a snapshot branch be deleted?
    pub delete: bool,
}

impl SnapshotPolicy {
    /// The first snapshot branch as a full ref (`refs/heads/main`): where `check` and
    /// `pre-commit` judge commits that name no branch of their own.
    pub fn first_branch(&self) -> String {
        format!(
            "refs/heads/{}",
            self.branches.texts.first().map_or("main", String::as_str)
        )
    }

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

/// The default snapshot branches (`snapshot.branches`).
pub const DEFAULT_BRANCHES: &[&str] = &["main"];
/// The default freight roots (`snapshot.roots`).
pub const DEFAULT_ROOTS: &[&str] = &["warehouses/*/freight"];

impl Default for SnapshotPolicy {
    fn default() -> Self {
        SnapshotPolicy {
            branches: Patterns::new(DEFAULT_BRANCHES),
            roots: DEFAULT_ROOTS.iter().map(|r| r.to_string()).collect(),
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
            force: false,
            delete: false,
        }
    }
}

/// Read `snapshot:` into `s` (which holds the defaults), reporting problems to `v`.
pub fn read(val: &mut Validator, node: &Node, s: &mut SnapshotPolicy) {
    let known = [
        "branches", "roots", "current", "release", "record", "required", "packages", "prune",
        "force", "delete",
    ];
    for (key, v) in val.entries(node, "snapshot", &known) {
        let key_q = format!("snapshot.{key}");
        match key {
            "branches" => val.patterns(v, &key_q, &mut s.branches),
            "roots" => {
                if let Some(roots) = val.strings(v, &key_q) {
                    let mut ok = Vec::new();
                    for root in roots {
                        if !val.path_ok(v, &key_q, &root, false) {
                            continue;
                        }
                        if root.split('/').any(|seg| seg.contains("**")) {
                            val.problem(v, format!("`{key_q}`: `**` is not supported in freight roots (`{root}`); use one `*` per directory level"));
                            continue;
                        }
                        if let Some(e) = root.split('/').find_map(|seg| compile_glob(seg).err()) {
                            val.problem(
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
                if let Some(text) = val.string(v, &key_q)
                    && val.path_ok(v, &key_q, &text, true)
                {
                    if key == "current" {
                        s.current = text;
                    } else {
                        s.record = text;
                    }
                }
            }
            "release" => {
                if let Some(text) = val.string(v, &key_q) {
                    if text.matches("{revision}").count() != 1 {
                        val.problem(v, format!("`{key_q}` must contain `{{revision}}` exactly once, e.g. `git-{{revision}}`"));
                    } else if val.path_ok(v, &key_q, &text, true) {
                        s.release = text;
                    }
                }
            }
            "required" => {
                if let Some(list) = val.strings(v, &key_q) {
                    s.required = list;
                }
            }
            "packages" => {
                if let Some(map) = val.string_map(v, &key_q) {
                    for dir in map.values() {
                        val.path_ok(v, &key_q, dir, false);
                    }
                    s.packages = map;
                }
            }
            "prune" => val.boolean(v, &key_q, &mut s.prune),
            "force" => val.boolean(v, &key_q, &mut s.force),
            "delete" => val.boolean(v, &key_q, &mut s.delete),
            _ => unreachable!("filtered by entries()"),
        }
    }
    if s.current.is_empty() || s.release.replacen("{revision}", "", 1) == s.current {
        val.problem(
            node,
            "`snapshot.current` and `snapshot.release` must differ",
        );
    }
}
