//! `unknown-freight`: a rendered commit names freight, and (with `freight: snapshot`) a release
//! directory by that name exists on the snapshot branch.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::RenderedChecker;
use crate::contracts::rendered::cfg::FreightMode;
use crate::finding::Finding;
use crate::git::repo::{ReadError, Repo};
use crate::rules::Rule;

/// Distinct names looked up one by one before every release name is read into a set.
const FREIGHT_LOOKUPS: usize = 16;

/// The release directories under a set of freight roots. A promotion names one release, so
/// names are first looked up in the roots' raw trees (thousands of entries, compared in place);
/// when many distinct names are asked for (`audit`), every name is read once into a set.
pub(super) struct Freight {
    roots: Vec<ObjectId>,
    looked_up: HashMap<Vec<u8>, bool>,
    names: Option<HashSet<Vec<u8>>>,
}

impl Freight {
    fn new(roots: Vec<ObjectId>) -> Freight {
        Freight {
            roots,
            looked_up: HashMap::new(),
            names: None,
        }
    }

    /// Is `name` a directory directly under one of the roots?
    fn contains(&mut self, repo: &Repo, name: &[u8]) -> Result<bool, ReadError> {
        if let Some(names) = &self.names {
            return Ok(names.contains(name));
        }
        if let Some(known) = self.looked_up.get(name) {
            return Ok(*known);
        }
        if self.looked_up.len() < FREIGHT_LOOKUPS {
            let mut known = false;
            'roots: for root in &self.roots {
                let raw = repo.tree_raw(root)?;
                for entry in repo.raw_split(root, &raw) {
                    let entry = entry?;
                    if entry.name == name && entry.is_tree() {
                        known = true;
                        break 'roots;
                    }
                }
            }
            self.looked_up.insert(name.to_vec(), known);
            return Ok(known);
        }
        let mut names = HashSet::new();
        for root in &self.roots {
            let raw = repo.tree_raw(root)?;
            for entry in repo.raw_split(root, &raw) {
                let entry = entry?;
                if entry.is_tree() {
                    names.insert(entry.name.to_vec());
                }
            }
        }
        let known = names.contains(name);
        self.names = Some(names);
        Ok(known)
    }
}

impl RenderedChecker<'_> {
    /// Does judging commits need the release directories of the snapshot branch?
    pub fn needs_freight(&self) -> bool {
        self.policy.freight == FreightMode::Snapshot && self.freight.is_none()
    }

    /// The freight roots (tree ids) whose release directories are the known freight.
    pub fn set_freight(&mut self, roots: Vec<ObjectId>, origin: String) {
        self.freight = Some(Freight::new(roots));
        self.freight_origin = origin;
    }

    /// `unknown-freight`: the commit must name freight, and with `freight: snapshot` that
    /// release must exist on the snapshot branch.
    pub(super) fn check_freight(
        &mut self,
        repo: &Repo,
        tag: Option<&str>,
        subject: &str,
    ) -> Result<Option<Finding>, ReadError> {
        let p = self.policy;
        let wants_tag = p.freight == FreightMode::Snapshot || !p.images.is_empty();
        Ok(match tag {
            None if wants_tag => Some(Finding::new(
                Rule::UnknownFreight,
                format!(
                    "the subject `{subject}` names no freight (no `git-<40 or 64 hex>` token{})",
                    if !p.message.is_empty() {
                        " and no `tag` group in `rendered.message`"
                    } else {
                        ""
                    }
                ),
            )),
            Some(tag) if p.freight == FreightMode::Snapshot => {
                let known = match self.freight.as_mut() {
                    Some(freight) => freight.contains(repo, tag.as_bytes())?,
                    None => false,
                };
                (!known).then(|| {
                    Finding::new(
                        Rule::UnknownFreight,
                        format!(
                            "names freight {tag}, which is not a release directory on {}",
                            self.freight_origin
                        ),
                    )
                })
            }
            _ => None,
        })
    }
}
