//! What checkout makes of a freight root: `.gitattributes` settings that change the bytes
//! written (see [`crate::git::attributes`]) must apply to `current/` and its release alike, and
//! must not change for a release written earlier. Attribute files inside `current/` or a
//! release are part of its tree, so they are equal wherever the trees are: only the files
//! above the freight root (from the top of the repository down to the root itself) can make
//! a difference, and with none there, nothing is read.

use std::collections::HashMap;

use gix::ObjectId;
use gix::objs::tree::EntryKind;

use super::{Local, SnapshotChecker};
use crate::deadline::Stop;
use crate::finding::Finding;
use crate::git::attributes::{self, Attributes, Found, Side, describe, texts};
use crate::git::diff::MAX_LISTED_PATHS;
use crate::git::repo::{Repo, display_path, join_path};
use crate::rules::Rule;

/// Findings by (attribute files above the root, root, and for the change check the parent's
/// root with the files above it).
pub(super) type Memo = HashMap<(Vec<Found>, ObjectId, Option<(ObjectId, Vec<Found>)>), Local>;

impl SnapshotChecker<'_> {
    /// The checkout-attribute findings of the freight root `root` at `path` in the top-level
    /// tree `top`, with the parents' (top-level tree, root) where the root existed.
    pub(super) fn checkout_attributes(
        &mut self,
        repo: &Repo,
        top: ObjectId,
        path: &[u8],
        root: ObjectId,
        parents: &[(ObjectId, ObjectId)],
    ) -> Result<Local, Stop> {
        let above = self.above(repo, top, path, root)?;
        let mut out = Vec::new();
        if !above.is_empty() {
            out.extend(self.mirror_checkout(repo, path, root, &above)?);
        }
        for (parent_top, parent_root) in parents {
            let before = self.above(repo, *parent_top, path, *parent_root)?;
            if before != above {
                out.extend(self.releases_checkout_changed(
                    repo,
                    path,
                    (*parent_root, before),
                    root,
                    &above,
                )?);
            }
        }
        Ok(out)
    }

    /// The attributes files from the top of `top` down to the freight root `root` at `path`
    /// (the root's own included), top first. The directories above the root were listed
    /// when the roots were searched ([`SnapshotChecker::roots`]); one that was not is read.
    fn above(
        &mut self,
        repo: &Repo,
        top: ObjectId,
        path: &[u8],
        root: ObjectId,
    ) -> Result<Vec<Found>, Stop> {
        let segments: Vec<&[u8]> = path.split(|b| *b == b'/').collect();
        let mut out = Vec::new();
        let Some(dirs) = self.dirs_memo.get(&top) else {
            return Ok(attributes::along(repo, &top, path)?);
        };
        for k in 0..segments.len() {
            let dir = segments[..k].join(&b'/');
            match dirs.get(&dir) {
                Some(Some(id)) => {
                    if attributes::is_read(repo, id)? {
                        out.push(Found { dir, id: *id });
                    }
                }
                Some(None) => {}
                None => return Ok(attributes::along(repo, &top, path)?),
            }
        }
        let own = match self.root_attrs.get(&root) {
            Some(Some(id)) => attributes::is_read(repo, id)?.then_some(*id),
            Some(None) => None,
            None => attributes::file_in(repo, &root)?.map(|(id, _)| id),
        };
        if let Some(id) = own {
            out.push(Found {
                dir: path.to_vec(),
                id,
            });
        }
        Ok(out)
    }

    /// `current/` and the release it mirrors, checked out under the files `above` the root.
    fn mirror_checkout(
        &mut self,
        repo: &Repo,
        path: &[u8],
        root: ObjectId,
        above: &[Found],
    ) -> Result<Local, Stop> {
        let Some(release) = self.mirrors.get(&root).cloned() else {
            return Ok(Vec::new()); // no mirror to compare: other rules report why
        };
        let key = (above.to_vec(), root, None);
        if let Some(found) = self.checkout_memo.get(&key) {
            return Ok(found.clone());
        }
        let current_name = self.policy.current.clone();
        let Some((EntryKind::Tree, current)) =
            attributes::entry_named(repo, &root, current_name.as_bytes())?
        else {
            return Ok(Vec::new());
        };
        let mut mine = Attributes::of(repo, above)?;
        let mut theirs = Attributes::of(repo, above)?;
        let (here, there) = (
            join_path(path, current_name.as_bytes()),
            join_path(path, &release),
        );
        let deadline = self.deadline;
        let (mut total, mut listed) = (0usize, Vec::new());
        let release_shown = display_path(&release);
        attributes::walk_both(
            repo,
            current,
            Side {
                attributes: &mut mine,
                prefix: &here,
            },
            Side {
                attributes: &mut theirs,
                prefix: &there,
            },
            &mut || deadline.check(),
            &mut |rel, a, b| {
                if texts(a, true) != texts(b, true) {
                    total += 1;
                    if listed.len() < MAX_LISTED_PATHS {
                        listed.push(format!(
                            "{}: {current_name}/ gets {}; {release_shown}/ gets {}",
                            display_path(rel),
                            describe(a, true),
                            describe(b, true)
                        ));
                    }
                }
                true
            },
        )?;
        let mut out = Vec::new();
        if total > 0 {
            if total > listed.len() {
                listed.push(format!("... and {} more", total - listed.len()));
            }
            out.push(
                Finding::new(
                    Rule::CheckoutAttributes,
                    format!(
                        "`{current_name}/` mirrors `{release_shown}/`, but `.gitattributes` makes checkout write {total} of its file(s) differently, so what Argo CD and Kargo read from `{current_name}/` is not the release"
                    ),
                )
                .at(current_name.clone())
                .with_details(listed),
            );
        }
        self.checkout_memo.insert(key, out.clone());
        Ok(out)
    }

    /// The releases that `root` keeps unchanged from `parent_root`, checked out under the
    /// parent's attribute files and under this commit's (`above`). Git LFS's filter is left
    /// out: content that is not a pointer passes through it unchanged.
    fn releases_checkout_changed(
        &mut self,
        repo: &Repo,
        path: &[u8],
        (parent_root, before): (ObjectId, Vec<Found>),
        root: ObjectId,
        above: &[Found],
    ) -> Result<Local, Stop> {
        let key = (above.to_vec(), root, Some((parent_root, before.clone())));
        if let Some(found) = self.checkout_memo.get(&key) {
            return Ok(found.clone());
        }
        let old: HashMap<Vec<u8>, ObjectId> = repo
            .tree(&parent_root)?
            .into_iter()
            .filter(|e| e.is_tree() && self.policy.is_release_name(&e.name))
            .map(|e| (e.name, e.id))
            .collect();
        let mut was = Attributes::of(repo, &before)?;
        let mut is = Attributes::of(repo, above)?;
        let deadline = self.deadline;
        let mut out = Vec::new();
        for entry in repo.tree(&root)? {
            self.deadline.check()?;
            if old.get(&entry.name) != Some(&entry.id) {
                continue; // new or changed: other checks judge it
            }
            let at = join_path(path, &entry.name);
            let (mut total, mut listed) = (0usize, Vec::new());
            attributes::walk_both(
                repo,
                entry.id,
                Side {
                    attributes: &mut was,
                    prefix: &at,
                },
                Side {
                    attributes: &mut is,
                    prefix: &at,
                },
                &mut || deadline.check(),
                &mut |rel, a, b| {
                    if texts(a, false) != texts(b, false) {
                        total += 1;
                        if listed.len() < MAX_LISTED_PATHS {
                            listed.push(format!(
                                "{}: was {}, now {}",
                                display_path(rel),
                                describe(a, false),
                                describe(b, false)
                            ));
                        }
                    }
                    true
                },
            )?;
            if total > 0 {
                if total > listed.len() {
                    listed.push(format!("... and {} more", total - listed.len()));
                }
                let name = display_path(&entry.name);
                out.push(
                    Finding::new(
                        Rule::CheckoutAttributes,
                        format!(
                            "`.gitattributes` changes how {total} file(s) of release `{name}/` are checked out; releases are frozen once written"
                        ),
                    )
                    .at(name)
                    .with_details(listed),
                );
            }
        }
        super::diags::bound(&mut out, Rule::CheckoutAttributes);
        self.checkout_memo.insert(key, out.clone());
        Ok(out)
    }
}
